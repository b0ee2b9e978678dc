package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/promscaler/promscaler/scaler"
	"github.com/promscaler/promscaler/sigv4"
)

// credentialsTimeout bounds the first fetch of credentials, which may call
// STS, the Pod Identity agent or the EC2 instance metadata service.
const credentialsTimeout = 15 * time.Second

// readManifests reads the files and joins them into one multi-document
// YAML stream, so that a ScaledObject finds the TriggerAuthentications of
// the other files.
func readManifests(paths []string) ([]byte, error) {
	docs := make([]string, 0, len(paths))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("failed to read the manifest: %w", err)
		}
		docs = append(docs, string(data))
	}
	return []byte(strings.Join(docs, "\n---\n")), nil
}

// signs reports whether the queries to -server are signed with SigV4.
func signs(opts options) bool {
	return opts.server != "" && (opts.sigv4 || isWorkspace(opts.server))
}

// prepareSigning checks, before anything is printed, that signed queries
// can run: each trigger has a region to sign for, and the AWS SDK's
// default chain gives credentials. A manifest that does not load needs
// neither, because its queries are not sent.
func prepareSigning(ctx context.Context, opts options, data []byte) error {
	if !signs(opts) {
		return nil
	}
	objects, err := scaler.LoadScaledObjects(data)
	if err != nil {
		return nil
	}
	if err := checkRegions(opts, objects); err != nil {
		return err
	}
	return checkCredentials(ctx)
}

// checkRegions reports the first trigger that has no region to sign for:
// -region is empty, the host of -server names no region, and the trigger
// has no awsRegion.
func checkRegions(opts options, objects []*scaler.ScaledObject) error {
	for _, so := range objects {
		for i, trigger := range so.Spec.Triggers {
			if signingRegion(opts, trigger) != "" || isWorkspace(opts.server) {
				continue
			}
			return fmt.Errorf("-sigv4 needs -region, because the host of -server %q names no AWS region and trigger %s of ScaledObject %s/%s has no awsRegion; add -region R, such as -region us-east-1",
				opts.server, triggerName(i, trigger), namespaceOf(so), so.Metadata.Name)
		}
	}
	return nil
}

// signingRegion returns the region that signs the trigger's queries:
// -region, else the trigger's awsRegion when the host of -server names no
// region. It is empty for a workspace host, whose own region applies.
func signingRegion(opts options, trigger scaler.ScaleTrigger) string {
	switch {
	case opts.region != "":
		return opts.region
	case isWorkspace(opts.server):
		return ""
	}
	return strings.TrimSpace(trigger.Metadata["awsRegion"])
}

// checkCredentials fetches credentials from the AWS SDK's default chain
// once, so that a missing identity is one clear message instead of an
// SDK error in every query.
func checkCredentials(ctx context.Context) error {
	creds, err := sigv4.NewCredentials(ctx, sigv4.CredentialsConfig{})
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
		_, err = creds.Retrieve(ctx)
		cancel()
	}
	if err != nil {
		return fmt.Errorf("no AWS credentials to sign the queries to -server: the default chain tried environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "+
			"IRSA web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI), "+
			"the shared profile (AWS_PROFILE in ~/.aws/config and ~/.aws/credentials) and EC2 instance metadata; "+
			"provide one of them, such as a profile with aws configure (%s)", strings.Join(strings.Fields(err.Error()), " "))
	}
	return nil
}

// missingAuthentications returns, by trigger index, the authenticationRef
// of each trigger that names an authentication none of the files define.
func missingAuthentications(so *scaler.ScaledObject) map[int]*scaler.AuthenticationRef {
	probe := *so
	probe.Spec.Triggers = make([]scaler.ScaleTrigger, len(so.Spec.Triggers))
	for i, trigger := range so.Spec.Triggers {
		// A placeholder in serverAddress stops the build before the
		// authentication is looked up, and has its own warning.
		if address, ok := trigger.Metadata["serverAddress"]; ok {
			trigger.Metadata = maps.Clone(trigger.Metadata)
			trigger.Metadata["serverAddress"] = placeholder.ReplaceAllString(address, "placeholder")
		}
		probe.Spec.Triggers[i] = trigger
	}

	_, err := probe.Config(scaler.BuildOptions{Target: scaler.NewMemoryTarget(1, nil)})
	var loadErr *scaler.LoadError
	if !errors.As(err, &loadErr) {
		return nil
	}
	missing := map[int]*scaler.AuthenticationRef{}
	for i, trigger := range so.Spec.Triggers {
		path := fmt.Sprintf("spec.triggers[%d].authenticationRef", i)
		for _, p := range loadErr.Problems {
			// An authentication that was found reports its own problems
			// under its own name, so this path means it was not found.
			if p.Path == path && trigger.AuthenticationRef != nil {
				missing[i] = trigger.AuthenticationRef
			}
		}
	}
	return missing
}

// placeholder matches a placeholder such as <REDACTED_WORKSPACE_ID>.
var placeholder = regexp.MustCompile(`<[^<>]*>`)

// missingAuthWarning explains an authenticationRef that the files do not
// define, and what the query to -server does without it.
func (c *checker) missingAuthWarning(so *scaler.ScaledObject, i int, ref *scaler.AuthenticationRef) string {
	kind := ref.Kind
	if kind == "" {
		kind = scaler.KindTriggerAuthentication
	}
	where := fmt.Sprintf(" of namespace %q", namespaceOf(so))
	if kind == scaler.KindClusterTriggerAuthentication {
		where = ""
	}
	text := fmt.Sprintf("spec.triggers[%d].authenticationRef: %s %q%s is in none of the files; it may exist in the cluster, "+
		"but to check it, pass the file that defines it with another -f", i, kind, ref.Name, where)
	switch {
	case c.opts.server == "":
		return text
	case signs(c.opts):
		return text + ". The query to -server below does not use it and is signed with SigV4 in its place."
	}
	return text + ". The query to -server below does not use it and is sent unsigned, so add -sigv4 -region R if the server needs SigV4, as AMP does."
}

// userTerms replaces the Go API advice of library messages with the flags
// and manifest keys of this command.
var userTerms = strings.NewReplacer(
	"set Config.SigV4 and Config.Region (or use an AMP workspace URL)", "add -sigv4 -region R, or use an AMP workspace URL as -server",
	"add it to the data after a --- line, or pass it in BuildOptions.TriggerAuthentications",
	"add it to the file after a --- line, or pass the file that defines it with another -f",
	"set IgnoreNullValues", `set ignoreNullValues: "true" in the trigger's metadata`,
	"the limit that Config.Timeout sets on each attempt; raise Config.Timeout", "the limit on each attempt that the trigger's timeout sets, in milliseconds; raise timeout",
)

// userText rewrites a library message for a command-line user.
func userText(s string) string {
	return userTerms.Replace(s)
}
