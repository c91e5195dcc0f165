package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// appColor gives each app one colour in every panel.
var appColor = map[string]color.Color{
	AppPoaledger: color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	AppKVStore:   color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

// chartPlots returns the two panels: committed tx/s against offered tx/s (with
// the offered = committed diagonal), and p50/p99 latency (log scale) against
// offered tx/s, one line per app and percentile.
func (r *Results) chartPlots() ([][]*plot.Plot, error) {
	tput := plot.New()
	tput.Title.Text = "Committed throughput vs offered load"
	tput.X.Label.Text = "offered tx/s"
	tput.Y.Label.Text = "committed tx/s"
	tput.Legend.Top, tput.Legend.Left = true, true
	tput.Legend.XOffs, tput.Legend.YOffs = vg.Points(12), -vg.Points(4)
	tput.Add(plotter.NewGrid())

	lat := plot.New()
	lat.Title.Text = "Latency submit -> commit vs offered load"
	lat.X.Label.Text = "offered tx/s"
	lat.Y.Label.Text = "latency, ms (log scale)"
	lat.Y.Scale = plot.LogScale{}
	lat.Y.Tick.Marker = logTicks125{}
	lat.Legend.Top, lat.Legend.Left = true, true
	lat.Legend.XOffs, lat.Legend.YOffs = vg.Points(12), -vg.Points(4)
	lat.Add(plotter.NewGrid())

	maxOffered := 0.0
	for _, n := range r.Network {
		var tp, p50, p99 plotter.XYs
		for _, p := range n.Points {
			maxOffered = max(maxOffered, p.OfferedTPS)
			tp = append(tp, plotter.XY{X: p.OfferedTPS, Y: p.CommittedTPS})
			if p.LatencyMs.N > 0 && p.LatencyMs.P50 > 0 {
				p50 = append(p50, plotter.XY{X: p.OfferedTPS, Y: p.LatencyMs.P50})
				p99 = append(p99, plotter.XY{X: p.OfferedTPS, Y: max(p.LatencyMs.P99, p.LatencyMs.P50)})
			}
		}
		c := appColor[n.App]
		if err := addLine(tput, tp, n.App, c, false); err != nil {
			return nil, err
		}
		if err := addLine(lat, p50, n.App+" p50", c, false); err != nil {
			return nil, err
		}
		if err := addLine(lat, p99, n.App+" p99", c, true); err != nil {
			return nil, err
		}
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: maxOffered, Y: maxOffered}})
	if err != nil {
		return nil, err
	}
	diag.LineStyle.Color = color.Gray{Y: 0x99}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
	tput.Add(diag)
	tput.Legend.Add("offered", diag)
	tput.Y.Min = 0
	tput.X.Min = 0
	lat.X.Min = 0
	return [][]*plot.Plot{{tput}, {lat}}, nil
}

func addLine(p *plot.Plot, xys plotter.XYs, name string, c color.Color, dashed bool) error {
	if len(xys) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("bench: chart %s: %w", name, err)
	}
	l.LineStyle.Color, l.LineStyle.Width = c, vg.Points(1.5)
	s.GlyphStyle.Color = c
	if dashed {
		l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		s.GlyphStyle.Shape = draw.TriangleGlyph{}
	} else {
		s.GlyphStyle.Shape = draw.CircleGlyph{}
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// chartSize is the size of the chart: two panels, one above the other.
const (
	chartWidth  = 7 * vg.Inch
	chartHeight = 8 * vg.Inch
)

// WriteChart draws the chart to path as SVG (".svg") or PNG (anything else).
func (r *Results) WriteChart(path string, svg bool) error {
	plots, err := r.chartPlots()
	if err != nil {
		return err
	}
	var canvas vg.CanvasWriterTo
	if svg {
		canvas = vgsvg.New(chartWidth, chartHeight)
	} else {
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(110),
			vgimg.UseBackgroundColor(color.White))}
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8),
		PadRight: vg.Points(12), PadY: vg.Points(18)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: chart: %w", err)
	}
	return f.Close()
}

// logTicks125 marks a log axis at 1, 2 and 5 times each power of ten (labelled)
// and the other integer multiples (unlabelled): plot.LogTicks labels only the
// powers of ten, which leaves a latency axis spanning 0.8-3 s with one label.
type logTicks125 struct{}

func (logTicks125) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var out []plot.Tick
	for p := math.Floor(math.Log10(lo)); math.Pow(10, p) <= hi; p++ {
		dec := math.Pow(10, p)
		for m := 1; m <= 9; m++ {
			v := float64(m) * dec
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			out = append(out, t)
		}
	}
	labelled := 0
	for _, t := range out {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 { // a narrow range: label every tick
		for i := range out {
			out[i].Label = strconv.FormatFloat(out[i].Value, 'g', -1, 64)
		}
	}
	return out
}
