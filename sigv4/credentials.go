package sigv4

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultExpiryWindow is how long before their expiry the credentials from
// NewCredentials are refreshed, so that a key does not expire during a
// request that takes less than the window.
const DefaultExpiryWindow = time.Minute

// DefaultRoleSessionName is the session name NewCredentials gives an
// assumed role when CredentialsConfig.RoleSessionName is empty.
const DefaultRoleSessionName = "promscaler"

// CredentialsConfig selects the credentials that sign requests. The zero
// value uses the AWS SDK's default chain.
type CredentialsConfig struct {
	// AccessKeyID and SecretAccessKey are static keys. They must be both
	// set or both empty. SessionToken goes with temporary static keys.
	AccessKeyID, SecretAccessKey, SessionToken string
	// RoleARN, when set, is assumed with STS using the base credentials,
	// as KEDA's awsRoleArn is. RoleSessionName names the session (empty
	// means DefaultRoleSessionName) and ExternalID is passed to STS when
	// the role's trust policy requires one.
	RoleARN, RoleSessionName, ExternalID string
	// Region is the STS region for RoleARN. Empty means the region of the
	// AWS environment (AWS_REGION or the profile). Profile selects a
	// shared-config profile for the default chain, and empty means AWS_PROFILE
	// or "default".
	Region, Profile string
}

// Validate reports the first inconsistent or malformed field.
func (c CredentialsConfig) Validate() error {
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return errors.New("sigv4: static credentials need both an access key ID and a secret access key; set both or neither")
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		return errors.New("sigv4: a session token needs the static access key ID and secret access key it belongs to; set them or remove the token")
	}
	if c.AccessKeyID != "" && c.Profile != "" {
		return fmt.Errorf("sigv4: static keys and profile %q are both set; set one of them", c.Profile)
	}
	if problem := regionProblem(c.Region); c.Region != "" && problem != "" {
		return fmt.Errorf("sigv4: invalid STS region %q: %s", c.Region, problem)
	}
	return c.validateRole()
}

// validateRole checks the fields of an assumed role.
func (c CredentialsConfig) validateRole() error {
	if c.RoleARN == "" {
		if c.RoleSessionName != "" || c.ExternalID != "" {
			return errors.New("sigv4: a role session name or external ID is set without a role; set RoleARN or remove them")
		}
		return nil
	}
	if !validRoleARN(c.RoleARN) {
		return fmt.Errorf("sigv4: invalid role ARN %q: expected arn:aws:iam::<12-digit account>:role/<name> (partition aws, aws-cn or aws-us-gov)", c.RoleARN)
	}
	if n := c.RoleSessionName; n != "" && (len(n) < 2 || len(n) > 64 || !stsChars(n, "+=,.@-_")) {
		return fmt.Errorf("sigv4: invalid role session name %q: use 2 to 64 letters, digits or +=,.@-_", n)
	}
	if id := c.ExternalID; id != "" && (len(id) < 2 || len(id) > 1224 || !stsChars(id, "+=,.@:/-_")) {
		return errors.New("sigv4: invalid external ID: use 2 to 1224 letters, digits or +=,.@:/-_")
	}
	return nil
}

// NewCredentials returns the provider that cfg selects, always as an
// *aws.CredentialsCache that refreshes DefaultExpiryWindow before expiry:
//
//   - static keys when AccessKeyID is set;
//   - otherwise the AWS SDK's default chain: environment variables, IRSA web
//     identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE), EKS Pod
//     Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI and
//     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE), the shared profile, and the
//     EC2 instance metadata service;
//   - either of the above used to assume RoleARN with STS when it is set.
//
// NewCredentials reads the environment and the shared config files but
// fetches no credentials, so a chain that finds none fails on first use.
func NewCredentials(ctx context.Context, cfg CredentialsConfig) (aws.CredentialsProvider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	if cfg.AccessKeyID != "" && cfg.RoleARN == "" {
		return cached(cfg.static()), nil
	}

	awsCfg, err := config.LoadDefaultConfig(ctx, cfg.loadOptions()...)
	if err != nil {
		return nil, fmt.Errorf("sigv4: load AWS configuration: %w", err)
	}
	if cfg.RoleARN == "" {
		return cached(awsCfg.Credentials), nil
	}

	if awsCfg.Region == "" {
		return nil, fmt.Errorf("sigv4: role %q needs an STS region; set CredentialsConfig.Region or AWS_REGION", cfg.RoleARN)
	}
	client := sts.NewFromConfig(awsCfg)
	role := stscreds.NewAssumeRoleProvider(client, cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = cfg.RoleSessionName
		if o.RoleSessionName == "" {
			o.RoleSessionName = DefaultRoleSessionName
		}
		if cfg.ExternalID != "" {
			o.ExternalID = aws.String(cfg.ExternalID)
		}
	})
	return cached(role), nil
}

// loadOptions turns cfg into options for config.LoadDefaultConfig.
func (c CredentialsConfig) loadOptions() []func(*config.LoadOptions) error {
	opts := []func(*config.LoadOptions) error{
		config.WithCredentialsCacheOptions(setExpiryWindow),
	}
	if c.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(c.static()))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	return opts
}

func (c CredentialsConfig) static() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

// cached wraps p in an *aws.CredentialsCache with DefaultExpiryWindow, unless
// it already is one.
func cached(p aws.CredentialsProvider) *aws.CredentialsCache {
	if cache, ok := p.(*aws.CredentialsCache); ok {
		return cache
	}
	return aws.NewCredentialsCache(p, setExpiryWindow)
}

func setExpiryWindow(o *aws.CredentialsCacheOptions) {
	o.ExpiryWindow = DefaultExpiryWindow
}

// validRoleARN reports whether arn names an IAM role:
// arn:<partition>:iam::<12 digits>:role/<path and name>.
func validRoleARN(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" {
		return false
	}
	switch parts[1] {
	case "aws", "aws-cn", "aws-us-gov":
	default:
		return false
	}
	if len(parts[4]) != 12 || !allRunes(parts[4], true) {
		return false
	}
	name, ok := strings.CutPrefix(parts[5], "role/")
	return ok && name != "" && !strings.HasSuffix(name, "/")
}

// stsChars reports whether s contains only ASCII letters, digits and the
// characters in extra.
func stsChars(s, extra string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(extra, r):
		default:
			return false
		}
	}
	return true
}
