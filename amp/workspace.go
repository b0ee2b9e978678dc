package amp

import (
	"fmt"
	"net/url"
	"strings"
)

// Workspace identifies an Amazon Managed Service for Prometheus workspace.
type Workspace struct {
	// Region is the AWS region in the host name, for example "ap-northeast-2".
	Region string
	// ID is the workspace ID, for example "ws-12345678-abcd-1234-abcd-123456789012".
	ID string
}

// Host name forms of AMP workspace endpoints: standard and FIPS, in the
// commercial partition, in the China partition and dual-stack.
var workspaceHostPrefixes = []string{"aps-workspaces-fips.", "aps-workspaces."}
var workspaceHostSuffixes = []string{".amazonaws.com.cn", ".amazonaws.com", ".api.aws"}

// ParseWorkspaceURL parses https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>[/] .
// It also accepts the FIPS host aps-workspaces-fips.<region>.amazonaws.com,
// the China partition's .amazonaws.com.cn hosts and the dual-stack
// .api.aws hosts.
//
// Only https is accepted, because AMP serves its API over TLS only. A URL
// that goes past the workspace ID, such as the console's query endpoint
// ending in /api/v1/query, is rejected with a message that names the part to
// remove.
func ParseWorkspaceURL(raw string) (Workspace, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Workspace{}, fmt.Errorf("amp: invalid workspace URL %q: %w", raw, err)
	}
	if u.Scheme != "https" {
		return Workspace{}, fmt.Errorf("amp: invalid workspace URL %q: scheme must be https, because AMP serves HTTPS only", raw)
	}

	region, err := workspaceRegion(u.Hostname())
	if err != nil {
		return Workspace{}, fmt.Errorf("amp: invalid workspace URL %q: %w", raw, err)
	}
	id, err := workspaceID(u.Path)
	if err != nil {
		return Workspace{}, fmt.Errorf("amp: invalid workspace URL %q: %w", raw, err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Workspace{}, fmt.Errorf("amp: invalid workspace URL %q: remove the query and fragment", raw)
	}
	return Workspace{Region: region, ID: id}, nil
}

// URL returns the workspace URL in the standard commercial-partition form,
// without a trailing slash.
func (w Workspace) URL() string {
	return "https://aps-workspaces." + w.Region + ".amazonaws.com/workspaces/" + w.ID
}

// workspaceRegion extracts the region from an AMP host name.
func workspaceRegion(host string) (string, error) {
	host = strings.ToLower(host)
	for _, prefix := range workspaceHostPrefixes {
		rest, ok := strings.CutPrefix(host, prefix)
		if !ok {
			continue
		}
		for _, suffix := range workspaceHostSuffixes {
			region, ok := strings.CutSuffix(rest, suffix)
			if ok && isRegion(region) {
				return region, nil
			}
		}
	}
	return "", fmt.Errorf("host %q is not an AMP workspace host; expected aps-workspaces.<region>.amazonaws.com", host)
}

// workspaceID extracts <id> from /workspaces/<id> with an optional trailing
// slash.
func workspaceID(path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "/workspaces/")
	if !ok {
		return "", fmt.Errorf("path %q does not start with /workspaces/<workspace ID>", path)
	}
	id, extra, _ := strings.Cut(rest, "/")
	if id == "" {
		return "", fmt.Errorf("path %q has no workspace ID after /workspaces/", path)
	}
	if extra != "" {
		return "", fmt.Errorf("path %q continues after the workspace ID; remove %q", path, "/"+extra)
	}
	if !isWorkspaceID(id) {
		return "", fmt.Errorf("workspace ID %q contains characters other than letters, digits and '-'", id)
	}
	return id, nil
}

func isRegion(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func isWorkspaceID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
