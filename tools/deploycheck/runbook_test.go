// SPDX-License-Identifier: Apache-2.0

package deploycheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestRunbookOverlay follows docs/operations.md's Kubernetes steps on a
// copy of deploy/: the overlay is copied where the runbook copies it, and
// every directory the runbook applies with "kubectl apply -k" builds with
// kustomize, the base included (an overlay copied away from the base
// cannot find its "../../base").
func TestRunbookOverlay(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repo, "docs/operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	tree := t.TempDir()
	if err := os.CopyFS(filepath.Join(tree, "deploy"), os.DirFS(filepath.Join(repo, "deploy"))); err != nil {
		t.Fatal(err)
	}
	copies := regexp.MustCompile(`(?m)^\s*cp -r (deploy/kubernetes/overlays/\S+) (\S+)`).FindAllStringSubmatch(string(doc), -1)
	applies := regexp.MustCompile(`(?m)^\s*kubectl apply -k (\S+)`).FindAllStringSubmatch(string(doc), -1)
	if len(copies) == 0 || len(applies) == 0 {
		t.Fatalf("docs/operations.md: %d overlay copies and %d kubectl apply -k, want both", len(copies), len(applies))
	}
	for _, c := range copies {
		if err := os.CopyFS(filepath.Join(tree, c[2]), os.DirFS(filepath.Join(tree, c[1]))); err != nil && !os.IsExist(err) {
			t.Fatalf("cp -r %s %s: %v", c[1], c[2], err)
		}
	}
	for _, a := range applies {
		dir := filepath.Join(tree, a[1])
		if _, err := fs.Stat(os.DirFS(tree), filepath.ToSlash(a[1])); err != nil {
			t.Errorf("kubectl apply -k %s: no such directory after the runbook's copies", a[1])
			continue
		}
		m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			t.Errorf("kubectl apply -k %s: kustomize build: %v", a[1], err)
			continue
		}
		if out, err := m.AsYaml(); err != nil || !strings.Contains(string(out), "kind: Deployment") {
			t.Errorf("kubectl apply -k %s: no Deployment (%v)", a[1], err)
		}
	}
}
