package epcis

import "time"

// Timestamps: EPCIS 2.0 time values are RFC 3339 / xsd:dateTime with a time
// zone: YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm), upper-case T and Z,
// a real calendar date, hours 00-23, minutes and seconds 00-59 (no leap
// second), any number of fractional digits, an offset within ±14:00.
//
// The canonical form (the event hash, Event.EventTime) is the instant in UTC
// with exactly three fractional digits, rounded half up:
// 2023-02-02T11:04:03.1415Z -> 2023-02-02T11:04:03.142Z.

// canonTime parses s and returns its canonical form, or a rule it breaks.
func canonTime(s string) (string, string) {
	const rule = "must be an RFC 3339 date-time with a time zone, e.g. 2025-03-11T06:30:00.000+01:00"
	n := len(s)
	if n < 20 || n > 64 {
		return "", rule
	}
	num := func(i, w int) (int, bool) {
		v := 0
		for j := i; j < i+w; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return "", rule
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return "", "is not a valid date and time"
	}
	i := 19
	ms, roundUp := 0, false
	if i < n && s[i] == '.' {
		i++
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			d := int(s[i] - '0')
			switch k := i - start; {
			case k < 3:
				ms = ms*10 + d
			case k == 3:
				roundUp = d >= 5
			}
			i++
		}
		digits := i - start
		if digits == 0 {
			return "", rule
		}
		for k := digits; k < 3; k++ {
			ms *= 10
		}
	}
	if roundUp {
		ms++
	}
	if i >= n {
		return "", rule
	}
	offset := 0
	switch s[i] {
	case 'Z':
		i++
	case '+', '-':
		if n-i != 6 {
			return "", rule
		}
		oh, okh := num(i+1, 2)
		om, okm := num(i+4, 2)
		if !okh || !okm || s[i+3] != ':' {
			return "", rule
		}
		if oh > 14 || om > 59 || oh == 14 && om != 0 {
			return "", "has a time zone offset outside -14:00..+14:00"
		}
		offset = (oh*60 + om) * 60
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return "", rule
	}
	if i != n {
		return "", rule
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*int(time.Millisecond), time.UTC).Add(-time.Duration(offset) * time.Second)
	if t.Year() < 1 || t.Year() > 9999 {
		return "", "is out of range"
	}
	var buf [24]byte
	return string(t.AppendFormat(buf[:0], "2006-01-02T15:04:05.000Z")), ""
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// validOffset checks an eventTimeZoneOffset: ^[+-]hh:mm$ within -14:00..+14:00.
func validOffset(s string) bool {
	if len(s) != 6 || s[0] != '+' && s[0] != '-' || s[3] != ':' {
		return false
	}
	for _, i := range []int{1, 2, 4, 5} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	h := int(s[1]-'0')*10 + int(s[2]-'0')
	m := int(s[4]-'0')*10 + int(s[5]-'0')
	return m <= 59 && (h < 14 || h == 14 && m == 0)
}
