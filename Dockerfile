# mongoconn in an image of its own: the static binary and the CA
# certificates TLS needs, FROM scratch. recipes_test.go runs this final
# stage's files in an empty root directory to prove that nothing else is
# needed.
#
#   docker build -t mongoconn --build-arg VERSION=$(git describe --tags --always) \
#       --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run --rm --network host mongoconn ping mongodb://localhost:27017
FROM golang:1.26 AS build
ARG VERSION=""
ARG COMMIT=""
ARG DATE=""
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/mongoconn/mongoconn/internal/buildinfo.version=${VERSION} -X github.com/mongoconn/mongoconn/internal/buildinfo.commit=${COMMIT} -X github.com/mongoconn/mongoconn/internal/buildinfo.date=${DATE}" \
    -o /out/mongoconn .

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/mongoconn /mongoconn
USER 65534:65534
ENTRYPOINT ["/mongoconn"]
