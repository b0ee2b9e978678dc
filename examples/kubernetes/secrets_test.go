package main

import (
	"testing"

	"github.com/promscaler/promscaler/scaler"
)

func TestLoadAuthenticationsNamespaces(t *testing.T) {
	data := []byte(`apiVersion: v1
kind: List
items:
- apiVersion: keda.sh/v1alpha1
  kind: TriggerAuthentication
  metadata: {name: in-file-namespace, namespace: default}
  spec: {podIdentity: {provider: aws}}
- apiVersion: keda.sh/v1alpha1
  kind: TriggerAuthentication
  metadata: {name: elsewhere, namespace: other}
  spec: {podIdentity: {provider: aws}}
---
{"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication", "metadata": {"name": "no-namespace"}, "spec": {"podIdentity": {"provider": "aws"}}}
---
apiVersion: keda.sh/v1alpha1
kind: ClusterTriggerAuthentication
metadata: {name: shared}
spec: {podIdentity: {provider: aws}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: skipped}
`)
	tas, err := loadAuthentications(data, "default", "prod")
	if err != nil {
		t.Fatalf("loadAuthentications() error = %v", err)
	}

	want := map[string]string{
		"in-file-namespace": "prod",
		"elsewhere":         "other",
		"no-namespace":      "prod",
		"shared":            "",
	}
	if len(tas) != len(want) {
		t.Fatalf("loadAuthentications() returned %d authentications, want %d", len(tas), len(want))
	}
	for _, ta := range tas {
		namespace, ok := want[ta.Metadata.Name]
		if !ok {
			t.Errorf("unexpected authentication %q", ta.Metadata.Name)
			continue
		}
		if ta.Metadata.Namespace != namespace {
			t.Errorf("%s %q namespace = %q, want %q", ta.Kind, ta.Metadata.Name, ta.Metadata.Namespace, namespace)
		}
	}
}

func TestFindAuthenticationNamespaceRule(t *testing.T) {
	tas := []*scaler.TriggerAuthentication{
		{Kind: scaler.KindTriggerAuthentication, Metadata: scaler.ObjectMeta{Name: "auth", Namespace: "other"}},
		{Kind: scaler.KindClusterTriggerAuthentication, Metadata: scaler.ObjectMeta{Name: "auth"}},
	}
	tests := []struct {
		name      string
		ref       scaler.AuthenticationRef
		namespace string
		wantKind  string
	}{
		{"match: same namespace", scaler.AuthenticationRef{Name: "auth"}, "other", scaler.KindTriggerAuthentication},
		{"skip: other namespace", scaler.AuthenticationRef{Name: "auth"}, "prod", ""},
		{"match: cluster kind anywhere", scaler.AuthenticationRef{Name: "auth", Kind: scaler.KindClusterTriggerAuthentication}, "prod", scaler.KindClusterTriggerAuthentication},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findAuthentication(&tt.ref, tt.namespace, tas)
			switch {
			case tt.wantKind == "" && got != nil:
				t.Errorf("findAuthentication() = %s %s/%s, want none", got.Kind, got.Metadata.Namespace, got.Metadata.Name)
			case tt.wantKind != "" && (got == nil || got.Kind != tt.wantKind):
				t.Errorf("findAuthentication() = %+v, want a %s", got, tt.wantKind)
			}
		})
	}
}
