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

// RegionFromHost returns the region named by the host of an AMP workspace
// URL. It recognizes aps-workspaces.<region>.amazonaws.com, the FIPS form
// aps-workspaces-fips.<region>.amazonaws.com, the China form ending in
// .amazonaws.com.cn and the dual-stack form aps-workspaces[-fips].<region>.api.aws.
// The host may carry a port ("aps-workspaces.us-east-1.amazonaws.com:443")
// and may be in any case.
//
// Other hosts, such as VPC endpoints, proxies and plain Prometheus servers,
// give ok == false.
func RegionFromHost(host string) (region string, ok bool) {
	host = strings.ToLower(strings.TrimSuffix(stripPort(host), "."))

	label, rest, found := strings.Cut(host, ".")
	if !found || !slices.Contains(workspaceLabels, label) {
		return "", false
	}
	region, domain, found := strings.Cut(rest, ".")
	if !found || !slices.Contains(workspaceDomains, domain) || !validRegion(region) {
		return "", false
	}
	return region, true
}

// ResolveRegion returns the region to sign for. It returns explicit when it
// is set, else the region RegionFromHost finds in host, else the region the
// AWS SDK resolves from the environment and the shared config files
// (AWS_REGION, AWS_DEFAULT_REGION, the region of the AWS_PROFILE profile).
// host may also be a full URL. The SDK's resolution never queries the EC2
// instance metadata service.
//
// It returns an error that names the three sources when none gives a region.
func ResolveRegion(ctx context.Context, explicit, host string) (string, error) {
	if explicit != "" {
		if !validRegion(explicit) {
			return "", fmt.Errorf("sigv4: invalid region %q: a region looks like \"us-east-1\"", explicit)
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
	if !validRegion(awsCfg.Region) {
		return "", fmt.Errorf("sigv4: invalid region %q from the AWS environment: a region looks like \"us-east-1\"; check AWS_REGION and the profile's region", awsCfg.Region)
	}
	return awsCfg.Region, nil
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
