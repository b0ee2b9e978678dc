// Command kubernetes runs a KEDA ScaledObject's autoscaling loop against a
// Kubernetes cluster, in place of KEDA and the HPA. It queries the
// ScaledObject's Prometheus triggers and decides as KEDA and the HPA would.
// Then it sets spec.replicas of the apps/v1 Deployment or StatefulSet that
// spec.scaleTargetRef names, through its scale subresource.
//
// The files given with -f contain the ScaledObject and may contain the
// TriggerAuthentication or ClusterTriggerAuthentication documents it
// refers to. Those the files do not contain are read from the cluster
// (keda.sh/v1alpha1), and so are the secrets they name in
// secretTargetRef. Requests that podIdentity aws or identityOwner operator
// signs use the AWS SDK's default credential chain, such as an IRSA or EKS
// Pod Identity role of the pod that runs the command.
//
// Each poll prints its decision as the HPA's arithmetic. The loop runs
// until SIGINT or SIGTERM, or for one poll with -once. With -dry-run the
// command decides but never writes the replica count.
//
// Usage:
//
//	go run ./examples/kubernetes -f scaledobject.yaml [-f auth.yaml]
//	    [-kubeconfig path] [-namespace ns] [-cluster-auth-namespace keda]
//	    [-once] [-dry-run]
//
// The process needs get and update on deployments/scale and
// statefulsets/scale, get on deployments and statefulsets, and get on
// secrets. To read authentications from the cluster, it also needs get on
// triggerauthentications and clustertriggerauthentications of keda.sh.
//
// Exit codes:
//
//	0  success, or -h
//	1  a failed poll or API error while running: with -once, the poll
//	   failed, such as a query or a write of the replica count; without
//	   -once, the restore of the original replica count at exit failed
//	2  the command could not run: invalid flags, no kubeconfig or
//	   in-cluster configuration, an unreadable file, a ScaledObject that
//	   does not load, an unsupported scaleTargetRef kind, or an
//	   authentication or secret that could not be read
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/scaler"
)

// options are the command-line settings.
type options struct {
	files                []string
	kubeconfig           string
	namespace            string
	clusterAuthNamespace string
	once                 bool
	dryRun               bool
}

// environment holds the clients and services the command uses besides its
// flags. Tests replace the cluster and the AWS credentials.
type environment struct {
	client kubernetes.Interface
	// dynamicClient reads KEDA's authentication resources; nil reads
	// none.
	dynamicClient dynamic.Interface
	// credentials signs SigV4 requests; nil means the AWS SDK's default
	// chain.
	credentials aws.CredentialsProvider
	clock       scaler.Clock
	logger      *slog.Logger
}

// fileList is a flag that can be given several times.
type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }

func (f *fileList) Set(value string) error {
	*f = append(*f, value)
	return nil
}

// Exit codes of the command.
const (
	exitOK        = 0
	exitFailed    = 1
	exitCannotRun = 2
)

// usageText is the start of the -h output; the flags follow it.
const usageText = `Usage: kubernetes -f FILE [-f FILE] [-kubeconfig PATH] [-namespace NS]
       [-cluster-auth-namespace NS] [-once] [-dry-run]

Run the autoscaling loop of a KEDA ScaledObject against a Kubernetes cluster,
in place of KEDA and the HPA: query its prometheus triggers, decide as KEDA
and the HPA would, print each decision in the HPA's arithmetic, and set
spec.replicas of the apps/v1 Deployment or StatefulSet that scaleTargetRef
names through its scale subresource. Authentications and secrets that the
files do not contain are read from the cluster. It runs until SIGINT or
SIGTERM, or for one poll with -once.

Exit codes:
  0  success, or -h
  1  a failed poll or API error while running: with -once, the poll failed,
     such as a query or a write of the replica count; without -once, the
     restore of the original replica count at exit failed
  2  the command could not run: invalid flags, no kubeconfig or in-cluster
     configuration, an unreadable file, a ScaledObject that does not load,
     an unsupported scaleTargetRef kind, or an authentication or secret that
     could not be read

Flags:
`

// setupError is a failure before the first poll, so the command could not
// run at all.
type setupError struct{ err error }

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr, logger)
	stop()
	os.Exit(code)
}

// runMain parses args, runs the command and returns its exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	opts, err := parseFlags(stderr, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitCannotRun
	}

	err = runCommand(ctx, stdout, opts, logger)
	if err != nil {
		fmt.Fprintln(stderr, "kubernetes:", strings.TrimPrefix(err.Error(), "kubernetes: "))
	}
	return exitCode(err)
}

// exitCode maps the error of run or runCommand to the exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if _, ok := errors.AsType[*setupError](err); ok {
		return exitCannotRun
	}
	return exitFailed
}

// parseFlags reads the command line. When a flag is invalid or -f is
// missing, it prints the problem and the usage to output and returns an
// error. For -h it prints the usage and returns flag.ErrHelp.
func parseFlags(output io.Writer, args []string) (options, error) {
	var opts options
	fs := flag.NewFlagSet("kubernetes", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprint(output, usageText)
		fs.PrintDefaults()
	}
	fs.Var((*fileList)(&opts.files), "f", "YAML or JSON `file` with the ScaledObject and its TriggerAuthentications; repeat for several files (required)")
	fs.StringVar(&opts.kubeconfig, "kubeconfig", "", "kubeconfig `path`; empty means the in-cluster service account, then $KUBECONFIG or ~/.kube/config")
	fs.StringVar(&opts.namespace, "namespace", "", "`namespace` of the ScaledObject and its workload, in place of metadata.namespace (default: metadata.namespace, or \"default\")")
	fs.StringVar(&opts.clusterAuthNamespace, "cluster-auth-namespace", "keda", "`namespace` of the secrets that ClusterTriggerAuthentications read")
	fs.BoolVar(&opts.once, "once", false, "run one poll and exit")
	fs.BoolVar(&opts.dryRun, "dry-run", false, "decide and print, but never change the replica count")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}

	if len(opts.files) == 0 {
		err := errors.New("-f is missing; give the file with the ScaledObject")
		fmt.Fprintln(fs.Output(), err)
		fs.Usage()
		return options{}, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q; give files with -f", fs.Arg(0))
		fmt.Fprintln(fs.Output(), err)
		fs.Usage()
		return options{}, err
	}
	return opts, nil
}

// runCommand connects to the cluster and runs the scaler.
func runCommand(ctx context.Context, out io.Writer, opts options, logger *slog.Logger) error {
	config, err := restConfig(opts.kubeconfig)
	if err != nil {
		return &setupError{err}
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return &setupError{fmt.Errorf("create the Kubernetes client: %w", err)}
	}
	dynamicClient, err := dynamic.NewForConfig(config)
	if err != nil {
		return &setupError{fmt.Errorf("create the Kubernetes client: %w", err)}
	}
	env := environment{client: client, dynamicClient: dynamicClient, clock: scaler.SystemClock{}, logger: logger}
	return run(ctx, out, opts, env)
}

// errNoClusterConfig replaces client-go's message for an empty
// configuration, which points at the KUBERNETES_MASTER variable.
var errNoClusterConfig = errors.New("no cluster configuration found: the process is not in a cluster " +
	"(no in-cluster service account), and neither $KUBECONFIG nor ~/.kube/config names a cluster; " +
	"give a kubeconfig file with -kubeconfig PATH or set $KUBECONFIG")

// restConfig returns the configuration of path, or without a path the
// in-cluster configuration, then $KUBECONFIG or ~/.kube/config.
func restConfig(path string) (*rest.Config, error) {
	if path != "" {
		config, err := clientcmd.BuildConfigFromFlags("", path)
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("kubeconfig %s names no cluster; give -kubeconfig a file with a cluster and a current context", path)
		}
		if err != nil {
			return nil, fmt.Errorf("read kubeconfig %s: %w", path, err)
		}
		return config, nil
	}

	config, err := rest.InClusterConfig()
	if err == nil {
		return config, nil
	}
	if !errors.Is(err, rest.ErrNotInCluster) {
		return nil, fmt.Errorf("read the in-cluster configuration: %w", err)
	}

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	config, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, errNoClusterConfig
	}
	if err != nil {
		return nil, fmt.Errorf("not in a cluster, and the kubeconfig from $KUBECONFIG or ~/.kube/config is invalid; fix it or give another with -kubeconfig PATH: %w", err)
	}
	return config, nil
}

// shutdownTimeout bounds the retries of the restore at exit.
const shutdownTimeout = 10 * time.Second

// run loads the ScaledObject, builds its scaler on the cluster's workload
// and polls until ctx is done, or once. An error before the first poll is
// a *setupError.
func run(ctx context.Context, out io.Writer, opts options, env environment) error {
	s, printer, err := buildScaler(ctx, out, opts, env)
	if err != nil {
		return &setupError{err}
	}
	defer printer.flush()

	if opts.once {
		// The OnDecision hook prints the decision.
		_, err := s.Step(ctx, env.clock.Now())
		return err
	}
	return runUntilDone(ctx, s)
}

// runUntilDone polls until ctx is done. Run's Shutdown restores the
// original replica count with restoreToOriginalReplicaCount. It reads the
// workload first, so WorkloadTarget writes that read back, and a change in
// between fails the write with 409 Conflict. The restore sets a fixed
// count that no read decided, so runUntilDone calls Shutdown again, which
// reads again, with client-go's default backoff.
func runUntilDone(ctx context.Context, s *scaler.Scaler) error {
	err := s.Run(ctx)
	if !apierrors.IsConflict(err) {
		return err
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		return s.Shutdown(shutdownCtx)
	})
}

// buildScaler loads the object and returns its scaler, whose decisions
// the printer writes to out.
func buildScaler(ctx context.Context, out io.Writer, opts options, env environment) (*scaler.Scaler, *decisionPrinter, error) {
	so, tas, secrets, err := loadObject(ctx, opts, env)
	if err != nil {
		return nil, nil, err
	}

	target, err := NewWorkloadTarget(env.client, so.Metadata.Namespace, so.Spec.ScaleTargetRef)
	if err != nil {
		return nil, nil, err
	}
	printer := &decisionPrinter{out: out}
	var t scaler.Target = target
	if opts.dryRun {
		t = dryRunTarget{target: target, printer: printer}
	}

	s, err := scaler.Build(so, scaler.BuildOptions{
		Target:                 t,
		TriggerAuthentications: tas,
		Secrets:                secrets,
		Credentials:            env.credentials,
		Clock:                  env.clock,
		Logger:                 env.logger,
		OnDecision:             printer.print,
	})
	return s, printer, err
}

// loadObject reads the ScaledObject from the files, moves it to its
// namespace, and returns it with its authentications and their secrets.
func loadObject(ctx context.Context, opts options, env environment) (*scaler.ScaledObject, []*scaler.TriggerAuthentication, map[string]map[string]string, error) {
	data, err := readFiles(opts.files)
	if err != nil {
		return nil, nil, nil, err
	}
	so, err := scaler.LoadScaledObject(data)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, warning := range so.Warnings() {
		env.logger.Warn("ScaledObject warning", "object", so.Metadata.Name, "warning", warning)
	}

	fileNamespace := objectNamespace(so, "")
	so.Metadata.Namespace = objectNamespace(so, opts.namespace)
	tas, err := loadAuthentications(data, fileNamespace, so.Metadata.Namespace)
	if err != nil {
		return nil, nil, nil, err
	}
	fetched, err := fetchAuthentications(ctx, env.dynamicClient, so, tas)
	if err != nil {
		return nil, nil, nil, err
	}
	tas = append(tas, fetched...)

	secrets, err := readSecrets(ctx, env.client, referencedSecrets(so, tas, opts.clusterAuthNamespace))
	if err != nil {
		return nil, nil, nil, err
	}
	return so, tas, secrets, nil
}

// readFiles joins the files into one stream of YAML documents.
func readFiles(paths []string) ([]byte, error) {
	var data bytes.Buffer
	for _, path := range paths {
		content, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read -f %s: %w", path, err)
		}
		data.WriteString("\n---\n")
		data.Write(content)
	}
	return data.Bytes(), nil
}

// objectNamespace returns override, or the object's namespace, or
// "default".
func objectNamespace(so *scaler.ScaledObject, override string) string {
	switch {
	case override != "":
		return override
	case so.Metadata.Namespace != "":
		return so.Metadata.Namespace
	default:
		return "default"
	}
}

// decisionPrinter writes each decision's explanation, stamped with its
// time, followed by the notes of the dry-run target. The scaler calls both
// on the goroutine that polls.
type decisionPrinter struct {
	out   io.Writer
	notes []string
}

func (p *decisionPrinter) print(d scaler.Decision) {
	fmt.Fprintf(p.out, "%s %s\n", d.Time.UTC().Format("2006-01-02T15:04:05Z"), d.Explain())
	p.flush()
}

// flush writes the notes that no decision has printed yet, such as a
// write that Shutdown skipped.
func (p *decisionPrinter) flush() {
	for _, note := range p.notes {
		fmt.Fprintln(p.out, note)
	}
	p.notes = nil
}

// dryRunTarget reads the workload but only notes the counts it would set.
type dryRunTarget struct {
	target  *WorkloadTarget
	printer *decisionPrinter
}

func (d dryRunTarget) Replicas(ctx context.Context) (hpa.Replicas, error) {
	return d.target.Replicas(ctx)
}

func (d dryRunTarget) SetReplicas(_ context.Context, replicas int32) error {
	d.printer.notes = append(d.printer.notes, fmt.Sprintf("dry run: %s would be set to %d replicas; nothing was written", d.target, replicas))
	return nil
}
