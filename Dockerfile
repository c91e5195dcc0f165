# poaledger node image, FROM scratch: only the static binary (CGO_ENABLED=0), so no
# base image is pulled. Build the binary first:
#   make build-linux docker-image      (or: make build-linux && docker build -t poaledger:local .)
# To build inside Docker instead (needs the golang image), see Dockerfile.multistage.
FROM scratch

COPY build/linux-amd64/poaledger /poaledger
# An empty directory owned by the runtime user: a named volume mounted at /data starts
# with this ownership. Bind mounts keep the host's ownership (chown them to 10001).
COPY --chown=10001:10001 build/docker-root/data /data

USER 10001:10001
VOLUME ["/data"]
# p2p, rpc, metrics (homes from `poaledger testnet init --docker` listen on 0.0.0.0)
EXPOSE 26656 26657 26660

# Unhealthy when the RPC does not answer, while the node catches up, or when its last
# block is older than 90 s (an idle chain makes an empty block every ~31 s).
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
  CMD ["/poaledger", "status", "--node", "tcp://127.0.0.1:26657", "--max-block-age", "90s"]

ENTRYPOINT ["/poaledger"]
CMD ["start", "--home", "/data"]
