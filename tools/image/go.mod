module github.com/omadata/omadata/tools/image

go 1.26.8

require (
	github.com/google/go-containerregistry v0.22.1 // lays the binary on an empty base and writes the image tarball, without a Docker daemon
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d // the image's CA certificates: Mozilla's roots, pinned by go.sum, so a build does not depend on the machine's
)

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
