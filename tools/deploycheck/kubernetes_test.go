// SPDX-License-Identifier: Apache-2.0

package deploycheck

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kinds are the resources the manifests may hold, each with its API
// version and a constructor of its typed object.
var kinds = map[string]struct {
	apiVersion string
	new        func() any
}{
	"ServiceAccount":      {"v1", func() any { return &corev1.ServiceAccount{} }},
	"ConfigMap":           {"v1", func() any { return &corev1.ConfigMap{} }},
	"Service":             {"v1", func() any { return &corev1.Service{} }},
	"Deployment":          {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"StatefulSet":         {"apps/v1", func() any { return &appsv1.StatefulSet{} }},
	"Job":                 {"batch/v1", func() any { return &batchv1.Job{} }},
	"PodDisruptionBudget": {"policy/v1", func() any { return &policyv1.PodDisruptionBudget{} }},
	"NetworkPolicy":       {"networking.k8s.io/v1", func() any { return &networkingv1.NetworkPolicy{} }},
}

// build runs kustomize on dir and decodes every resource strictly (an
// unknown or misspelt field fails) into its typed object.
func build(t *testing.T, dir string) []any {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(repo, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	var objs []any
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		obj, err := decode(doc)
		if err != nil {
			t.Errorf("%s: %v\n%s", dir, err, doc)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

func decode(doc []byte) (any, error) {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	k, ok := kinds[tm.Kind]
	if !ok {
		return nil, fmt.Errorf("kind %q is not one the test knows", tm.Kind)
	} else if tm.APIVersion != k.apiVersion {
		return nil, fmt.Errorf("%s: apiVersion %q, want %q", tm.Kind, tm.APIVersion, k.apiVersion)
	}
	obj := k.new()
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

// TestStrictDecode: the decoder the other tests rely on refuses a field
// the Kubernetes type does not have.
func TestStrictDecode(t *testing.T) {
	_, err := decode([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n"))
	if err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("a misspelt field: %v, want an error naming it", err)
	}
	if _, err := decode([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 2}\n")); err != nil {
		t.Errorf("a good one: %v", err)
	}
}

// TestKubernetesPostgres: the base and the PostgreSQL overlay, several
// instances on one database.
func TestKubernetesPostgres(t *testing.T) {
	for _, dir := range []string{"deploy/kubernetes/base", "deploy/kubernetes/overlays/postgres"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs := build(t, dir)
			got := map[string]int{}
			for _, o := range objs {
				got[fmt.Sprintf("%T", o)]++
			}
			for _, want := range []string{"*v1.ServiceAccount", "*v1.ConfigMap", "*v1.Service", "*v1.Deployment",
				"*v1.Job", "*v1.PodDisruptionBudget", "*v1.NetworkPolicy"} {
				if got[want] != 1 {
					t.Errorf("%d of %s, want 1 (%v)", got[want], want, got)
				}
			}
			checkAll(t, objs)
			for _, o := range objs {
				switch o := o.(type) {
				case *appsv1.Deployment:
					if o.Spec.Replicas == nil || *o.Spec.Replicas < 2 {
						t.Errorf("Deployment replicas %v, want 2 or more", o.Spec.Replicas)
					}
					checkServer(t, o.Spec.Template.Spec, true)
					if env := envValue(o.Spec.Template.Spec.Containers[0], "OMADATA_MIGRATE"); env != "false" {
						t.Errorf("OMADATA_MIGRATE %q, want false: the Job migrates", env)
					}
				case *batchv1.Job:
					c := o.Spec.Template.Spec.Containers
					if len(c) != 1 || !slices.Equal(c[0].Args, []string{"migrate"}) {
						t.Errorf("Job runs %v, want omadata migrate", c)
					}
					checkSecretEnv(t, c[0], "OMADATA_DATABASE_URL", "database-url")
				case *policyv1.PodDisruptionBudget:
					if o.Spec.MinAvailable == nil || o.Spec.MinAvailable.IntValue() < 1 {
						t.Errorf("PodDisruptionBudget minAvailable %v, want at least 1", o.Spec.MinAvailable)
					}
				}
			}
		})
	}
}

// TestKubernetesSQLite: the single-instance variant is one pod on one
// volume, and nothing that assumes several.
func TestKubernetesSQLite(t *testing.T) {
	objs := build(t, "deploy/kubernetes/overlays/sqlite")
	checkAll(t, objs)
	n := 0
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.StatefulSet:
			n++
			if o.Spec.Replicas == nil || *o.Spec.Replicas != 1 {
				t.Errorf("StatefulSet replicas %v, want exactly 1: SQLite has one writer", o.Spec.Replicas)
			}
			if len(o.Spec.VolumeClaimTemplates) != 1 {
				t.Errorf("StatefulSet without its volume")
			}
			c := o.Spec.Template.Spec.Containers[0]
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/var/lib/omadata" }) ||
				envValue(c, "OMADATA_DATABASE_URL") != "sqlite:/var/lib/omadata/omadata.db" {
				t.Errorf("the database is not on the volume: %v %v", c.VolumeMounts, c.Env)
			}
			checkServer(t, o.Spec.Template.Spec, false)
		case *appsv1.Deployment, *batchv1.Job, *policyv1.PodDisruptionBudget:
			t.Errorf("%T in the SQLite variant", o)
		}
	}
	if n != 1 {
		t.Errorf("%d StatefulSets, want 1", n)
	}
}

// checkAll checks what every variant shares: the pods' security, the
// settings' names, the service account.
func checkAll(t *testing.T, objs []any) {
	t.Helper()
	documented := documentedSettings(t)
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ServiceAccount:
			if o.AutomountServiceAccountToken == nil || *o.AutomountServiceAccountToken {
				t.Errorf("ServiceAccount %s mounts its token", o.Name)
			}
		case *corev1.ConfigMap:
			for k := range o.Data {
				if !documented[k] {
					t.Errorf("ConfigMap %s: %s is not a setting of docs/configuration.md", o.Name, k)
				}
			}
		case *appsv1.Deployment:
			checkPod(t, o.Name, o.Spec.Template.Spec, documented)
		case *appsv1.StatefulSet:
			checkPod(t, o.Name, o.Spec.Template.Spec, documented)
		case *batchv1.Job:
			checkPod(t, o.Name, o.Spec.Template.Spec, documented)
		case *networkingv1.NetworkPolicy:
			if !slices.Contains(o.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(o.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
				t.Errorf("NetworkPolicy %s limits %v, want Ingress and Egress", o.Name, o.Spec.PolicyTypes)
			}
			for _, r := range o.Spec.Ingress {
				if len(r.Ports) == 0 {
					t.Errorf("NetworkPolicy %s lets in every port", o.Name)
				}
			}
		}
	}
}

func checkPod(t *testing.T, name string, p corev1.PodSpec, documented map[string]bool) {
	t.Helper()
	if p.AutomountServiceAccountToken == nil || *p.AutomountServiceAccountToken || p.ServiceAccountName != "omadata" {
		t.Errorf("%s: service account %q, token mounted %v", name, p.ServiceAccountName, p.AutomountServiceAccountToken)
	}
	sc := p.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v, want runAsNonRoot, user 65532, seccomp RuntimeDefault", name, sc)
	}
	for _, c := range append(p.InitContainers, p.Containers...) {
		cs := c.SecurityContext
		if cs == nil || cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem ||
			cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation ||
			cs.Privileged != nil && *cs.Privileged ||
			cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(cs.Capabilities.Add) > 0 {
			t.Errorf("%s/%s: security context %+v, want a read-only root, no privilege escalation, every capability dropped", name, c.Name, cs)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s/%s: resources %+v, want CPU and memory requests and a memory limit", name, c.Name, c.Resources)
		}
		for _, e := range c.Env {
			if !documented[e.Name] {
				t.Errorf("%s/%s: env %s is not a setting of docs/configuration.md", name, c.Name, e.Name)
			}
		}
		if c.Image == "" || strings.HasSuffix(c.Image, ":latest") {
			t.Errorf("%s/%s: image %q", name, c.Name, c.Image)
		}
	}
}

// checkServer checks the server's container: the port it listens on, the
// probes on paths a running server answers, the secrets from the Secret,
// a grace period longer than the server's shutdown.
func checkServer(t *testing.T, p corev1.PodSpec, databaseSecret bool) {
	t.Helper()
	if len(p.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(p.Containers))
	}
	c := p.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("args %q, want serve", c.Args)
	}
	if envValue(c, "OMADATA_LISTEN") != ":8080" || len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Errorf("listens on %q, ports %v, want :8080 named http", envValue(c, "OMADATA_LISTEN"), c.Ports)
	}
	checkSecretEnv(t, c, "OMADATA_SECRET_KEY", "secret-key")
	if databaseSecret {
		checkSecretEnv(t, c, "OMADATA_DATABASE_URL", "database-url")
	}
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	want := map[string]string{"startup": "/livez", "liveness": "/livez", "readiness": "/readyz"}
	base := server(t)
	for kind, pr := range probes {
		if pr == nil || pr.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", kind)
			continue
		}
		if pr.HTTPGet.Path != want[kind] || pr.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe on %s port %s, want %s port http", kind, pr.HTTPGet.Path, pr.HTTPGet.Port.String(), want[kind])
		}
		if code, body := get(t, base+pr.HTTPGet.Path); code != http.StatusOK {
			t.Errorf("%s probe: a running server answers %s with %d %s", kind, pr.HTTPGet.Path, code, body)
		}
	}
	// The server's shutdown bound is 25 s (docs/operations.md), after
	// the preStop pause.
	var pause int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		pause = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if g := p.TerminationGracePeriodSeconds; g == nil || *g < pause+25 {
		t.Errorf("terminationGracePeriodSeconds %v, want at least the preStop pause (%d s) and the shutdown bound (25 s)", g, pause)
	}
}

func checkSecretEnv(t *testing.T, c corev1.Container, name, key string) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "omadata" || e.ValueFrom.SecretKeyRef.Key != key || e.Value != "" {
				t.Errorf("%s: %+v, want from the Secret omadata, key %s", name, e, key)
			}
			return
		}
	}
	t.Errorf("%s: no env %s", c.Name, name)
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

var settingName = regexp.MustCompile("`(OMADATA_[A-Z0-9_]+)`")

// documentedSettings are the settings docs/configuration.md's table names.
func documentedSettings(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "docs/configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `OMADATA_") {
			for _, m := range settingName.FindAllStringSubmatch(strings.SplitN(line, "|", 3)[1], -1) {
				names[m[1]] = true
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d settings found in docs/configuration.md", len(names))
	}
	return names
}
