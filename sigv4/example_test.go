package sigv4_test

import (
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
