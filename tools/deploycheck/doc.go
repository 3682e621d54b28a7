// SPDX-License-Identifier: Apache-2.0

// Package deploycheck holds the tests of what deploy/ ships: the
// Kubernetes manifests, decoded with the Kubernetes API types in strict
// mode after kustomize builds them; the systemd unit; the Prometheus
// rules and the Grafana dashboard, whose metrics a running server must
// expose. It is a module of its own so that none of its dependencies
// enters omadata's (docs/development.md).
package deploycheck
