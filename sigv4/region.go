package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// The first label of an AMP workspace host, and the domains AMP serves from.
var (
	workspaceLabels  = []string{"aps-workspaces", "aps-workspaces-fips"}
	workspaceDomains = []string{"amazonaws.com", "amazonaws.com.cn", "api.aws"}
)

// The service label and domain of the DNS names AWS PrivateLink gives an
// interface VPC endpoint for the AMP query API (service
// com.amazonaws.<region>.aps-workspaces).
//
// NOTE: Only the vpce.amazonaws.com domain is recognized, so endpoint names
// in the China partition give no region and ResolveRegion falls back to the
// environment for them.
var (
	endpointLabels  = []string{"aps-workspaces"}
	endpointDomains = []string{"vpce.amazonaws.com"}
)

// RegionFromHost returns the region named by the host of an AMP workspace
// URL. It recognizes aps-workspaces.<region>.amazonaws.com, the FIPS form
// aps-workspaces-fips.<region>.amazonaws.com, the China form ending in
// .amazonaws.com.cn and the dual-stack form
// aps-workspaces[-fips].<region>.api.aws. It also recognizes the DNS names
// of an interface VPC endpoint:
// vpce-<id>.aps-workspaces.<region>.vpce.amazonaws.com and the zonal form
// vpce-<id>-<zone>.aps-workspaces.<region>.vpce.amazonaws.com.
// The host may carry a port ("aps-workspaces.us-east-1.amazonaws.com:443")
// and may be in any case.
//
// Other hosts, such as private DNS names of a VPC endpoint, proxies and
// plain Prometheus servers, give ok == false.
func RegionFromHost(host string) (region string, ok bool) {
	host = strings.ToLower(strings.TrimSuffix(stripPort(host), "."))

	if region, ok := regionBetween(host, workspaceLabels, workspaceDomains); ok {
		return region, true
	}
	endpoint, rest, found := strings.Cut(host, ".")
	if !found || !validEndpointLabel(endpoint) {
		return "", false
	}
	return regionBetween(rest, endpointLabels, endpointDomains)
}

// regionBetween returns the region of a host <label>.<region>.<domain>
// whose label and domain are in the given lists.
func regionBetween(host string, labels, domains []string) (string, bool) {
	label, rest, found := strings.Cut(host, ".")
	if !found || !slices.Contains(labels, label) {
		return "", false
	}
	region, domain, found := strings.Cut(rest, ".")
	if !found || !slices.Contains(domains, domain) || !validRegion(region) {
		return "", false
	}
	return region, true
}

// validEndpointLabel reports whether label is the first label of a VPC
// endpoint DNS name: "vpce-" and the endpoint ID, which may end in a zone,
// such as "vpce-0a1b2c3d4e5f-abcd1234-us-east-1a".
func validEndpointLabel(label string) bool {
	id, found := strings.CutPrefix(label, "vpce-")
	if !found || id == "" {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// ResolveRegion returns the region to sign for. It returns explicit when it
// is set, else the region RegionFromHost finds in host, else the region the
// AWS SDK resolves from the environment and the shared config files
// (AWS_REGION, AWS_DEFAULT_REGION, the region of the AWS_PROFILE profile).
// host may also be a full URL. The SDK's resolution never queries the EC2
// instance metadata service.
//
// A host whose name carries no region, such as a private DNS name of a VPC
// endpoint or a proxy, gets the environment's region. That region must be
// the workspace's region, because AMP rejects a signature for another
// region with 403 at request time. Set explicit when the two differ.
//
// It returns an error that names the three sources when none gives a region.
func ResolveRegion(ctx context.Context, explicit, host string) (string, error) {
	if explicit != "" {
		if problem := regionProblem(explicit); problem != "" {
			return "", fmt.Errorf("sigv4: invalid region %q: %s", explicit, problem)
		}
		return explicit, nil
	}
	if region, ok := RegionFromHost(hostOf(host)); ok {
		return region, nil
	}

	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return "", fmt.Errorf("sigv4: resolve region from the AWS environment: %w", err)
	}
	if awsCfg.Region == "" {
		return "", errors.New("sigv4: no region: set the region explicitly, use an AMP workspace URL " +
			"(https://aps-workspaces.<region>.amazonaws.com/...), or set AWS_REGION in the environment")
	}
	if problem := regionProblem(awsCfg.Region); problem != "" {
		return "", fmt.Errorf("sigv4: invalid region %q from the AWS environment: %s; check AWS_REGION and the profile's region", awsCfg.Region, problem)
	}
	return awsCfg.Region, nil
}

// CheckRegion returns an error when region does not have the shape of an
// AWS region, such as "us-east-1". The error names the value and the
// region to use instead where it can tell, for example for "US-EAST-1" or
// a workspace host name.
func CheckRegion(region string) error {
	if region == "" {
		return errors.New(`sigv4: region is empty; set the workspace's region, for example "us-east-1"`)
	}
	if problem := regionProblem(region); problem != "" {
		return fmt.Errorf("sigv4: invalid region %q: %s", region, problem)
	}
	return nil
}

// regionProblem returns why region does not have the shape of an AWS
// region and what to set instead, or "" when it has that shape.
func regionProblem(region string) string {
	lower := strings.ToLower(region)
	hyphenated := strings.ReplaceAll(lower, "_", "-")

	switch {
	case validRegion(region):
		return ""
	case strings.Contains(region, "."):
		if hostRegion, ok := RegionFromHost(hostOf(region)); ok {
			return fmt.Sprintf("it is a host name, not a region, and RegionFromHost reads region %q from it; "+
				"set that region, or let ResolveRegion read it from the workspace URL", hostRegion)
		}
		return "it is a host name, not a region, and RegionFromHost finds no region in it; " +
			"set the workspace's region, for example \"us-east-1\""
	case validRegion(lower):
		return fmt.Sprintf("a region is written in lower case; use %q", lower)
	case validRegion(hyphenated):
		return fmt.Sprintf("a region joins its words with hyphens; use %q", hyphenated)
	default:
		return `a region is lower-case words and a number joined by hyphens, for example "us-east-1"`
	}
}

// validRegion reports whether s has the shape of an AWS region: lowercase
// words joined by hyphens and ending in a number, such as "us-east-1",
// "us-gov-west-1" or "cn-northwest-1".
func validRegion(s string) bool {
	words := strings.Split(s, "-")
	if len(words) < 3 {
		return false
	}
	for i, word := range words {
		last := i == len(words)-1
		if word == "" || !allRunes(word, last) {
			return false
		}
	}
	return true
}

// allRunes reports whether word is all digits (digits == true) or all
// lowercase letters.
func allRunes(word string, digits bool) bool {
	for _, r := range word {
		switch {
		case digits && r >= '0' && r <= '9':
		case !digits && r >= 'a' && r <= 'z':
		default:
			return false
		}
	}
	return true
}

// stripPort removes a ":port" suffix from host.
func stripPort(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// hostOf returns the host of a URL, or s itself when s has no scheme.
func hostOf(s string) string {
	_, rest, found := strings.Cut(s, "://")
	if !found {
		return s
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
