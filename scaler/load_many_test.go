package scaler

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renamedSample returns the sample ScaledObject of testdata under another
// name, in the same namespace and with the same authenticationRef, and
// with a workspace address in place of the placeholder.
func renamedSample(t testing.TB, name string) string {
	t.Helper()
	return strings.NewReplacer(
		"\n  name: sample-app-prometheus-scaler", "\n  name: "+name,
		"https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-<REDACTED_WORKSPACE_ID>", realWorkspace,
	).Replace(string(readTestdata(t, "sample-app.yaml")))
}

// joinDocuments joins YAML documents with --- lines.
func joinDocuments(docs ...string) []byte {
	return []byte(strings.Join(docs, "---\n"))
}

func TestLoadScaledObjectsSharesAuthentication(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	data := joinDocuments(
		renamedSample(t, "web"),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n",
		string(readTestdata(t, "sample-app-ta.yaml")),
		renamedSample(t, "worker"),
		"apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: unused, namespace: default}\nspec: {podIdentity: {provider: none}}\n",
	)

	objects, err := LoadScaledObjects(data)

	require.NoError(t, err)
	require.Len(t, objects, 2)
	assert.Equal(t, "web", objects[0].Metadata.Name)
	assert.Equal(t, "worker", objects[1].Metadata.Name)
	for _, so := range objects {
		require.Len(t, so.authentications, 1, "authentications of %s", so.Metadata.Name)
		assert.Equal(t, "sample-app-ta", so.authentications[0].Metadata.Name)
		cfg, err := so.Config(BuildOptions{Target: &replicaTarget{}, Credentials: staticCredentials()})
		require.NoError(t, err, "config of %s", so.Metadata.Name)
		assert.Equal(t, "default/"+so.Metadata.Name, cfg.Name)
	}
	dataWarnings := []string{
		`ConfigMap settings: kind "ConfigMap" skipped; only ScaledObject, TriggerAuthentication and ClusterTriggerAuthentication are read`,
		"TriggerAuthentication default/unused: skipped, because no trigger of any ScaledObject references it",
	}
	assert.Equal(t, append(dataWarnings, objects[1].Warnings()...), objects[0].Warnings(),
		"the first object carries the warnings about the data before its own")
	assert.NotEmpty(t, objects[1].Warnings(), "the sample's own warnings")
}

func TestLoadScaledObjectsOneObject(t *testing.T) {
	data := joinDocuments(string(readTestdata(t, "sample-app.yaml")), string(readTestdata(t, "sample-app-ta.yaml")))

	objects, err := LoadScaledObjects(data)
	require.NoError(t, err)
	single, err := LoadScaledObject(data)
	require.NoError(t, err)

	require.Len(t, objects, 1)
	assert.Equal(t, single, objects[0])
}

func TestLoadScaledObjectsErrors(t *testing.T) {
	badAuth := "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: sample-app-ta, namespace: default}\nspec: {podIdentity: {provider: azure}}\n"
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"load many: no ScaledObject", joinDocuments("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
			[]string{"no ScaledObject found; the data must contain at least one document of kind ScaledObject"}},
		// The threshold of the worker, removed for its type, is not also
		// reported as missing.
		{"load many: problems of every object", joinDocuments(
			strings.Replace(renamedSample(t, "web"), "pollingInterval: 60", "pollingInterval: 0", 1),
			strings.Replace(renamedSample(t, "worker"), `threshold: "50"`, "threshold: 50", 1),
			string(readTestdata(t, "sample-app-ta.yaml")),
		), []string{
			`ScaledObject default/worker: spec.triggers[0].metadata.threshold: 50 is a number; quote it as "50", because the field takes a string`,
			"ScaledObject default/web: spec.pollingInterval: 0 is below 1; use 1 or more",
		}},
		{"load many: shared authentication invalid", joinDocuments(renamedSample(t, "web"), renamedSample(t, "worker"), badAuth),
			[]string{`TriggerAuthentication default/sample-app-ta: spec.podIdentity.provider: "azure" is not supported; only aws and none are supported`}},
		{"load many: same name twice", joinDocuments(renamedSample(t, "web"), renamedSample(t, "web"), string(readTestdata(t, "sample-app-ta.yaml"))),
			[]string{"ScaledObject default/web: metadata.name: another ScaledObject of the data has the same namespace and name; give each object a unique name"}},
		{"load many: YAML error beside an object", []byte(renamedSample(t, "web") + "---\nkind: [ScaledObject\n"),
			[]string{"document 2: invalid YAML: yaml: line 49: did not find expected ',' or ']'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objects, err := LoadScaledObjects(tt.data)

			require.Error(t, err)
			assert.Nil(t, objects)
			var got []string
			for _, p := range err.(*LoadError).Problems {
				got = append(got, p.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
