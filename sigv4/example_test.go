package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/promscaler/promscaler/sigv4"
)

// newFakeWorkspace starts a server on 127.0.0.1 that accepts requests signed
// for us-east-1 with the example key and answers 403 to anything else.
func newFakeWorkspace() *httptest.Server {
	verifier := &sigv4.Verifier{
		Region: "us-east-1",
		Credentials: []aws.Credentials{{
			AccessKeyID:     "AKIDEXAMPLE",
			SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		}},
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var verr *sigv4.VerifyError
		if err := verifier.Verify(r); errors.As(err, &verr) {
			verr.WriteResponse(w)
			return
		}
		fmt.Fprint(w, `{"status":"success"}`)
	}))
}

func ExampleNewRoundTripper() {
	workspace := newFakeWorkspace()
	defer workspace.Close()

	rt, err := sigv4.NewRoundTripper(sigv4.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{Transport: rt, Timeout: 3 * time.Second}

	resp, err := client.Post(workspace.URL+"/api/v1/query", "application/x-www-form-urlencoded", strings.NewReader("query=up"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK {"status":"success"}
}

func ExampleVerifier_Verify() {
	workspace := newFakeWorkspace()
	defer workspace.Close()

	rt, err := sigv4.NewRoundTripper(sigv4.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "a-wrong-secret-key", ""),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	resp, err := (&http.Client{Transport: rt}).Get(workspace.URL + "/api/v1/query?query=up")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
	// Output: 403 Forbidden InvalidSignatureException
}

func ExampleRegionFromHost() {
	for _, host := range []string{
		"aps-workspaces.ap-northeast-2.amazonaws.com",
		"aps-workspaces-fips.us-gov-west-1.amazonaws.com:443",
		"aps-workspaces.eu-central-1.api.aws",
		"vpce-0a1b2c3d4e5f-abcd1234.aps-workspaces.ap-southeast-5.vpce.amazonaws.com",
		"amp-proxy.monitoring.svc:8005",
	} {
		region, ok := sigv4.RegionFromHost(host)
		fmt.Printf("%s: %q %v\n", host, region, ok)
	}
	// Output:
	// aps-workspaces.ap-northeast-2.amazonaws.com: "ap-northeast-2" true
	// aps-workspaces-fips.us-gov-west-1.amazonaws.com:443: "us-gov-west-1" true
	// aps-workspaces.eu-central-1.api.aws: "eu-central-1" true
	// vpce-0a1b2c3d4e5f-abcd1234.aps-workspaces.ap-southeast-5.vpce.amazonaws.com: "ap-southeast-5" true
	// amp-proxy.monitoring.svc:8005: "" false
}

func ExampleResolveRegion() {
	ctx := context.Background()
	workspace := "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1234/api/v1/query"

	fromURL, err := sigv4.ResolveRegion(ctx, "", workspace)
	fmt.Println(fromURL, err)
	explicit, err := sigv4.ResolveRegion(ctx, "us-east-1", workspace)
	fmt.Println(explicit, err)
	// Output:
	// ap-northeast-2 <nil>
	// us-east-1 <nil>
}

func ExampleNewCredentials() {
	creds, err := sigv4.NewCredentials(context.Background(), sigv4.CredentialsConfig{
		AccessKeyID:     "AKIDEXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := creds.Retrieve(context.Background())
	fmt.Println(key.AccessKeyID, key.Source, err)

	_, err = sigv4.NewCredentials(context.Background(), sigv4.CredentialsConfig{RoleARN: "arn:aws:iam::1234:role/keda"})
	fmt.Println(err)
	// Output:
	// AKIDEXAMPLE StaticCredentials <nil>
	// sigv4: invalid role ARN "arn:aws:iam::1234:role/keda": expected arn:aws:iam::<12-digit account>:role/<name> (partition aws, aws-cn or aws-us-gov)
}
