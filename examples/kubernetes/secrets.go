package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/promscaler/promscaler/scaler"
)

// loadAuthentications returns the TriggerAuthentication and
// ClusterTriggerAuthentication documents of data, including the items of
// a List. Documents of other kinds are skipped. A TriggerAuthentication
// without a namespace, or in fileNamespace, the ScaledObject's namespace in
// the file, moves to namespace with the object. One in another namespace
// keeps it, so the object cannot use it.
func loadAuthentications(data []byte, fileNamespace, namespace string) ([]*scaler.TriggerAuthentication, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}

	var found []*scaler.TriggerAuthentication
	for i, doc := range docs {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("kubernetes: document %d: %w", i+1, err)
		}
		if head.Kind != scaler.KindTriggerAuthentication && head.Kind != scaler.KindClusterTriggerAuthentication {
			continue
		}
		ta, err := scaler.LoadTriggerAuthentication(doc)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: document %d: %w", i+1, err)
		}
		if ta.Kind == scaler.KindTriggerAuthentication && (ta.Metadata.Namespace == "" || ta.Metadata.Namespace == fileNamespace) {
			ta.Metadata.Namespace = namespace
		}
		found = append(found, ta)
	}
	return found, nil
}

// KEDA's authentication resources, which fetchAuthentications reads.
var (
	triggerAuthenticationsResource        = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "triggerauthentications"}
	clusterTriggerAuthenticationsResource = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "clustertriggerauthentications"}
)

// fetchAuthentications reads from the cluster every authentication that a
// trigger of the object names and the files do not contain, as KEDA finds
// them: a TriggerAuthentication in the object's namespace, or a
// ClusterTriggerAuthentication. A nil client reads nothing.
func fetchAuthentications(ctx context.Context, client dynamic.Interface, so *scaler.ScaledObject, loaded []*scaler.TriggerAuthentication) ([]*scaler.TriggerAuthentication, error) {
	if client == nil {
		return nil, nil
	}
	var fetched []*scaler.TriggerAuthentication
	for _, trigger := range so.Spec.Triggers {
		ref := trigger.AuthenticationRef
		if ref == nil || findAuthentication(ref, so.Metadata.Namespace, loaded) != nil || findAuthentication(ref, so.Metadata.Namespace, fetched) != nil {
			continue
		}
		ta, err := fetchAuthentication(ctx, client, so.Metadata.Namespace, ref)
		if err != nil {
			return nil, err
		}
		fetched = append(fetched, ta)
	}
	return fetched, nil
}

// fetchAuthentication reads the authentication that ref names.
func fetchAuthentication(ctx context.Context, client dynamic.Interface, namespace string, ref *scaler.AuthenticationRef) (*scaler.TriggerAuthentication, error) {
	var resource dynamic.ResourceInterface
	label := fmt.Sprintf("%s %s", ref.Kind, ref.Name)
	switch ref.Kind {
	case "", scaler.KindTriggerAuthentication:
		resource = client.Resource(triggerAuthenticationsResource).Namespace(namespace)
		label = fmt.Sprintf("%s %s/%s", scaler.KindTriggerAuthentication, namespace, ref.Name)
	case scaler.KindClusterTriggerAuthentication:
		resource = client.Resource(clusterTriggerAuthenticationsResource)
	default:
		return nil, fmt.Errorf("kubernetes: authenticationRef kind %q is not supported; use %s or %s", ref.Kind, scaler.KindTriggerAuthentication, scaler.KindClusterTriggerAuthentication)
	}

	obj, err := resource.Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("kubernetes: %s not found in the -f files or in the cluster; add it to a file with -f: %w", label, err)
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("kubernetes: reading %s is forbidden; grant get on it, or add it to a file with -f: %w", label, err)
	case err != nil:
		return nil, fmt.Errorf("kubernetes: read %s: %w", label, err)
	}
	return decodeAuthentication(obj, label)
}

// decodeAuthentication turns an authentication read from the cluster into
// the scaler's type. The status and managed fields, which the scaler does
// not read, are dropped first.
func decodeAuthentication(obj *unstructured.Unstructured, label string) (*scaler.TriggerAuthentication, error) {
	content := obj.DeepCopy().UnstructuredContent()
	delete(content, "status")
	unstructured.RemoveNestedField(content, "metadata", "managedFields")

	data, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: encode %s: %w", label, err)
	}
	ta, err := scaler.LoadTriggerAuthentication(data)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %s in the cluster: %w", label, err)
	}
	return ta, nil
}

// splitDocuments returns every YAML or JSON document of data as JSON, with
// a List replaced by its items.
func splitDocuments(data []byte) ([]json.RawMessage, error) {
	decoder := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var docs []json.RawMessage
	for {
		var doc json.RawMessage
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("kubernetes: invalid YAML or JSON: %w", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || string(doc) == "null" {
			continue
		}

		var list struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(doc, &list); err == nil && list.Kind == "List" {
			docs = append(docs, list.Items...)
			continue
		}
		docs = append(docs, doc)
	}
}

// secretRef is one secret that an authentication of the object reads.
type secretRef struct {
	namespace string
	name      string
	// owner names the authentication in messages.
	owner string
}

// referencedSecrets lists the secrets that the object's triggers read
// through secretTargetRef, each once. A TriggerAuthentication reads
// secrets of the object's namespace, and a ClusterTriggerAuthentication
// those of clusterNamespace, as KEDA does with its cluster object
// namespace.
func referencedSecrets(so *scaler.ScaledObject, tas []*scaler.TriggerAuthentication, clusterNamespace string) []secretRef {
	seen := map[secretRef]bool{}
	var refs []secretRef
	for _, trigger := range so.Spec.Triggers {
		ta := findAuthentication(trigger.AuthenticationRef, so.Metadata.Namespace, tas)
		if ta == nil {
			continue
		}
		namespace, owner := so.Metadata.Namespace, fmt.Sprintf("%s %s/%s", ta.Kind, so.Metadata.Namespace, ta.Metadata.Name)
		if ta.Kind == scaler.KindClusterTriggerAuthentication {
			namespace, owner = clusterNamespace, fmt.Sprintf("%s %s", ta.Kind, ta.Metadata.Name)
		}
		for _, target := range ta.Spec.SecretTargetRef {
			ref := secretRef{namespace: namespace, name: target.Name, owner: owner}
			if !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		}
	}
	return refs
}

// findAuthentication returns the authentication that ref, of an object in
// namespace, names, or nil. A TriggerAuthentication must be in namespace.
func findAuthentication(ref *scaler.AuthenticationRef, namespace string, tas []*scaler.TriggerAuthentication) *scaler.TriggerAuthentication {
	if ref == nil {
		return nil
	}
	kind := ref.Kind
	if kind == "" {
		kind = scaler.KindTriggerAuthentication
	}
	for _, ta := range tas {
		if ta.Kind != kind || ta.Metadata.Name != ref.Name {
			continue
		}
		if kind == scaler.KindClusterTriggerAuthentication || ta.Metadata.Namespace == "" || ta.Metadata.Namespace == namespace {
			return ta
		}
	}
	return nil
}

// readSecrets reads every secret in refs from the cluster, for
// BuildOptions.Secrets. Values never appear in errors.
func readSecrets(ctx context.Context, client kubernetes.Interface, refs []secretRef) (map[string]map[string]string, error) {
	secrets := map[string]map[string]string{}
	namespaces := map[string]string{}
	for _, ref := range refs {
		// BuildOptions.Secrets is keyed by name alone, so two secrets of
		// one name in different namespaces cannot both be passed.
		if other, ok := namespaces[ref.name]; ok && other != ref.namespace {
			return nil, fmt.Errorf("kubernetes: secret %q is read from namespaces %q and %q; give one of them another name", ref.name, other, ref.namespace)
		}

		secret, err := client.CoreV1().Secrets(ref.namespace).Get(ctx, ref.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("kubernetes: secret %s/%s, which %s reads, not found; create it or fix secretTargetRef: %w", ref.namespace, ref.name, ref.owner, err)
		case apierrors.IsForbidden(err):
			return nil, fmt.Errorf("kubernetes: reading secret %s/%s, which %s reads, is forbidden; grant get on secrets in %q: %w", ref.namespace, ref.name, ref.owner, ref.namespace, err)
		case err != nil:
			return nil, fmt.Errorf("kubernetes: read secret %s/%s, which %s reads: %w", ref.namespace, ref.name, ref.owner, err)
		}

		values := map[string]string{}
		for key, value := range secret.StringData {
			values[key] = value
		}
		for key, value := range secret.Data {
			values[key] = string(value)
		}
		secrets[ref.name] = values
		namespaces[ref.name] = ref.namespace
	}
	return secrets, nil
}
