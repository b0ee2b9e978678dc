package scaler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Problem is one thing wrong with a manifest or with trigger metadata.
type Problem struct {
	// Object names the document, such as "ScaledObject default/sample-app"
	// or "document 2". It is empty for trigger metadata parsed alone.
	Object string
	// Path is the field, such as spec.triggers[0].metadata.threshold, or
	// empty when the problem concerns the whole document.
	Path string
	// Message states what is wrong with the value and what to do.
	Message string
}

// String returns the problem as "<object>: <path>: <message>".
func (p Problem) String() string {
	parts := make([]string, 0, 3)
	for _, part := range []string{p.Object, p.Path, p.Message} {
		if part != "" {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, ": ")
}

// LoadError lists every problem found in a manifest, in trigger metadata
// or while building a Config, so that all of them can be fixed at once.
// Messages never contain the value of a secret.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	if len(e.Problems) == 1 {
		return "scaler: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "scaler: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(strings.ReplaceAll(p.String(), "\n", "\n    "))
	}
	return b.String()
}

// errorOf returns nil for no problems and a *LoadError otherwise.
func errorOf(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &LoadError{Problems: problems}
}

// document is one YAML document of the input, decoded into a JSON tree.
type document struct {
	label string
	kind  string
	tree  map[string]any
}

// LoadScaledObject reads one ScaledObject from YAML or JSON. The data may
// hold several documents separated by ---, or a List of objects as
// `kubectl get -o yaml` prints it. The TriggerAuthentication and
// ClusterTriggerAuthentication documents that a trigger references are
// kept in the result for its Config method. Other authentications and
// documents of other kinds are skipped with a warning. Data with several
// ScaledObjects is an error that names them; LoadScaledObjects reads them
// all.
//
// Unknown fields under spec are errors, so a misspelled field is not
// ignored; unknown fields of metadata and the status are ignored. The
// error is a *LoadError that lists every problem of every document. Load
// warnings, such as a query that may return no series, do not stop the
// load: read them with Warnings.
func LoadScaledObject(data []byte) (*ScaledObject, error) {
	in := readInput(data)

	switch n := len(in.objects); {
	case n == 0 && len(in.problems) == 0:
		return nil, errorOf([]Problem{{Message: "no ScaledObject found; the data must contain one document of kind ScaledObject"}})
	case n > 1:
		in.problems = append(in.problems, Problem{Message: fmt.Sprintf(
			"found %d ScaledObjects (%s); LoadScaledObject reads one, so use LoadScaledObjects to read them all", n, in.names())})
	}
	if len(in.objects) != 1 {
		return nil, errorOf(in.problems)
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	return in.objects[0], nil
}

// LoadScaledObjects reads every ScaledObject from YAML or JSON, in the
// order of the data, as LoadScaledObject reads one. Each object keeps the
// TriggerAuthentication and ClusterTriggerAuthentication documents of the
// data that its triggers reference, for its Config method, so a shared
// authentication serves every object that names it. Two objects with the
// same namespace and name are an error, because they would be one object
// in a cluster.
//
// The error is a *LoadError that lists every problem of every document,
// each naming its object, and no object is returned with it. Warnings
// about the data as a whole, such as an authentication that no object
// references or a document of another kind, are given to the first
// object.
func LoadScaledObjects(data []byte) ([]*ScaledObject, error) {
	in := readInput(data)

	if len(in.objects) == 0 && len(in.problems) == 0 {
		return nil, errorOf([]Problem{{Message: "no ScaledObject found; the data must contain at least one document of kind ScaledObject"}})
	}
	in.checkUniqueNames()
	if len(in.objects) == 0 {
		return nil, errorOf(in.problems)
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	return in.objects, nil
}

// input is the decoded content of the data: the objects and
// authentications, the problems of the documents, and the warnings about
// the data as a whole.
type input struct {
	objects         []*ScaledObject
	labels          []string // the document label of each object
	authentications []loadedAuthentication
	problems        []Problem
	warnings        []string
}

// readInput decodes every document of data.
func readInput(data []byte) *input {
	docs, problems := readDocuments(data)
	in := &input{problems: problems}
	for _, doc := range docs {
		switch doc.kind {
		case KindScaledObject:
			so := &ScaledObject{}
			in.problems = append(in.problems, decodeDocument(doc, so, soChecker())...)
			in.objects = append(in.objects, so)
			in.labels = append(in.labels, doc.label)
		case KindTriggerAuthentication, KindClusterTriggerAuthentication:
			ta := &TriggerAuthentication{}
			authProblems := decodeDocument(doc, ta, taChecker())
			in.authentications = append(in.authentications, loadedAuthentication{label: doc.label, ta: ta, problems: authProblems})
		default:
			in.warnings = append(in.warnings, fmt.Sprintf("%s: kind %q skipped; only ScaledObject, TriggerAuthentication and ClusterTriggerAuthentication are read", doc.label, doc.kind))
		}
	}
	return in
}

// names returns the objects as a list of namespace/name, or the document
// label of an object without a name.
func (in *input) names() string {
	names := make([]string, len(in.objects))
	for i, so := range in.objects {
		names[i] = in.labels[i]
		if so.Metadata.Name != "" {
			names[i] = so.namespace() + "/" + so.Metadata.Name
		}
	}
	return strings.Join(names, ", ")
}

// checkUniqueNames reports each object whose namespace and name an earlier
// object of the data already has.
func (in *input) checkUniqueNames() {
	seen := map[string]bool{}
	for _, so := range in.objects {
		if so.Metadata.Name == "" {
			continue
		}
		name := so.namespace() + "/" + so.Metadata.Name
		if seen[name] {
			in.problems = append(in.problems, Problem{Object: so.label(), Path: "metadata.name",
				Message: "another ScaledObject of the data has the same namespace and name; give each object a unique name"})
		}
		seen[name] = true
	}
}

// finish gives each object the authentications its triggers reference and
// validates the objects. It returns a *LoadError with the problems of the
// documents and of the objects, or nil.
func (in *input) finish() error {
	referenced := make([]bool, len(in.authentications))
	for _, so := range in.objects {
		for i, a := range in.authentications {
			if so.references(a.ta) {
				so.authentications = append(so.authentications, a.ta)
				referenced[i] = true
			}
		}
	}

	problems := in.problems
	warnings := in.warnings
	for i, a := range in.authentications {
		// An authentication that no trigger names, such as one for another
		// workload of the same chart, does not affect the objects.
		if !referenced[i] {
			warnings = append(warnings, a.label+": skipped, because no trigger of "+in.subject()+" references it")
			continue
		}
		problems = append(problems, a.problems...)
	}

	decoded := slices.Clone(problems)
	for i, so := range in.objects {
		checked, soWarnings := so.check()
		for _, p := range withoutOverlap(checked, decoded) {
			// An authentication shared by several objects is checked with
			// each of them, and reported once.
			if !slices.Contains(problems, p) {
				problems = append(problems, p)
			}
		}
		if i == 0 {
			soWarnings = append(warnings, soWarnings...)
		}
		so.warnings = soWarnings
	}
	return errorOf(problems)
}

// subject names the objects of the data in warnings.
func (in *input) subject() string {
	if len(in.objects) == 1 {
		return "the ScaledObject"
	}
	return "any ScaledObject"
}

// loadedAuthentication is an authentication document and the problems
// found while decoding it.
type loadedAuthentication struct {
	label    string
	ta       *TriggerAuthentication
	problems []Problem
}

// references reports whether a trigger of the object names ta.
func (so *ScaledObject) references(ta *TriggerAuthentication) bool {
	for _, trigger := range so.Spec.Triggers {
		if ref := trigger.AuthenticationRef; ref != nil && so.refersTo(ref, ta) {
			return true
		}
	}
	return false
}

// LoadTriggerAuthentication reads one TriggerAuthentication or
// ClusterTriggerAuthentication from YAML or JSON, for
// BuildOptions.TriggerAuthentications. The error is a *LoadError.
func LoadTriggerAuthentication(data []byte) (*TriggerAuthentication, error) {
	docs, problems := readDocuments(data)
	if len(problems) > 0 {
		return nil, errorOf(problems)
	}

	var found []*TriggerAuthentication
	for _, doc := range docs {
		if doc.kind != KindTriggerAuthentication && doc.kind != KindClusterTriggerAuthentication {
			problems = append(problems, Problem{Object: doc.label, Message: fmt.Sprintf("kind %q is not TriggerAuthentication or ClusterTriggerAuthentication", doc.kind)})
			continue
		}
		ta := &TriggerAuthentication{}
		problems = append(problems, decodeDocument(doc, ta, taChecker())...)
		found = append(found, ta)
	}
	switch {
	case len(problems) > 0:
		return nil, errorOf(problems)
	case len(found) != 1:
		return nil, errorOf([]Problem{{Message: fmt.Sprintf("found %d TriggerAuthentication documents; the data must contain exactly one", len(found))}})
	}
	if problems := found[0].check(); len(problems) > 0 {
		return nil, errorOf(problems)
	}
	return found[0], nil
}

// Warnings returns the problems found at load that do not stop the
// scaler, such as an unknown trigger metadata key or a serverAddress that
// still holds a placeholder.
func (so *ScaledObject) Warnings() []string {
	return append([]string(nil), so.warnings...)
}

// Validate reports every problem of the object and of the authentications
// loaded with it as a *LoadError, or nil. LoadScaledObject has run it; use
// it on an object built or changed in code.
func (so *ScaledObject) Validate() error {
	problems, _ := so.check()
	return errorOf(problems)
}

// Validate reports every problem of the authentication as a *LoadError,
// or nil.
func (ta *TriggerAuthentication) Validate() error {
	return errorOf(ta.check())
}

// readDocuments splits data into documents and decodes each into a JSON
// tree. Empty documents are dropped, and a List contributes its items.
func readDocuments(data []byte) ([]document, []Problem) {
	var docs []document
	var problems []Problem
	for i, chunk := range splitYAML(data) {
		label := fmt.Sprintf("document %d", i+1)
		tree, problem := parseYAML(chunk.text, chunk.line, label)
		switch {
		case problem != nil:
			problems = append(problems, *problem)
		case tree == nil:
		case tree["kind"] == "List":
			items, itemProblems := listItems(tree, label)
			docs = append(docs, items...)
			problems = append(problems, itemProblems...)
		default:
			doc, problem := newDocument(tree, label)
			if problem != nil {
				problems = append(problems, *problem)
				continue
			}
			docs = append(docs, doc)
		}
	}
	return docs, problems
}

// yamlChunk is one document's text and the line it starts at in the input.
type yamlChunk struct {
	text []byte
	line int
}

// splitYAML splits data at the lines that start with the document
// separator ---.
func splitYAML(data []byte) []yamlChunk {
	var chunks []yamlChunk
	start, startLine := 0, 1
	line := 1
	for offset := 0; offset < len(data); {
		end := bytes.IndexByte(data[offset:], '\n')
		next := len(data)
		if end >= 0 {
			next = offset + end + 1
		}
		if isSeparator(data[offset:next]) {
			chunks = append(chunks, yamlChunk{text: data[start:offset], line: startLine})
			start, startLine = next, line+1
		}
		offset = next
		line++
	}
	return append(chunks, yamlChunk{text: data[start:], line: startLine})
}

// isSeparator reports whether line is "---", alone or followed by white
// space or a comment.
func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimRight(rest, "\r\n")
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

var yamlLineNumber = regexp.MustCompile(`line (\d+)`)

// parseYAML converts one document to a JSON tree. A document of only
// comments gives a nil tree. Line numbers in YAML errors are made to
// count from the start of the input.
func parseYAML(text []byte, firstLine int, label string) (map[string]any, *Problem) {
	data, err := yaml.YAMLToJSONStrict(text)
	if err != nil {
		message := yamlLineNumber.ReplaceAllStringFunc(err.Error(), func(m string) string {
			n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
			return fmt.Sprintf("line %d", n+firstLine-1)
		})
		message = strings.Join(strings.Fields(strings.TrimPrefix(message, "error converting YAML to JSON: ")), " ")
		if n, ok := tabIndentedLine(text, err.Error()); ok {
			message += fmt.Sprintf("; line %d is indented with a tab, which YAML does not allow, so indent it with spaces", n+firstLine-1)
		}
		if strings.Contains(message, "already set in map") {
			message += "; keep one of the keys of the same name"
		}
		if strings.Contains(message, "mapping values are not allowed") {
			message += mappingValueHint(text, err.Error(), firstLine)
		}
		return nil, &Problem{Object: label, Message: "invalid YAML: " + message}
	}

	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var value any
	if err := decoder.Decode(&value); err != nil {
		return nil, &Problem{Object: label, Message: "invalid JSON: " + err.Error()}
	}
	if value == nil {
		return nil, nil
	}
	tree, ok := value.(map[string]any)
	if !ok {
		return nil, &Problem{Object: label, Message: fmt.Sprintf("the document is %s; expected a Kubernetes object with apiVersion, kind, metadata and spec", article(jsonTypeName(value)))}
	}
	return tree, nil
}

// tabIndentedLine returns the line of text that a YAML error names, and
// whether a tab is part of that line's indentation.
func tabIndentedLine(text []byte, message string) (int, bool) {
	match := yamlLineNumber.FindStringSubmatch(message)
	if match == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(match[1])
	lines := bytes.Split(text, []byte("\n"))
	if n < 1 || n > len(lines) {
		return 0, false
	}
	line := lines[n-1]
	indentation := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
	return n, bytes.IndexByte(indentation, '\t') >= 0
}

// mappingValueHint explains the YAML error "mapping values are not
// allowed" at the line that message names. The usual cause is a key
// indented under a line that already has a value, such as trigger
// settings without the metadata: line above them. The other cause is a
// value that contains ": " without quotes.
func mappingValueHint(text []byte, message string, firstLine int) string {
	match := yamlLineNumber.FindStringSubmatch(message)
	if match == nil {
		return ""
	}
	n, _ := strconv.Atoi(match[1])
	lines := bytes.Split(text, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}

	previous := n - 1
	for previous >= 1 && isBlankOrComment(lines[previous-1]) {
		previous--
	}
	if previous >= 1 && hasValue(lines[previous-1]) && indentation(lines[n-1]) > indentation(lines[previous-1]) {
		return fmt.Sprintf("; line %d is indented deeper than line %d, whose key already has a value, so add the key that line %d belongs under, such as metadata:, or indent it as line %d",
			n+firstLine-1, previous+firstLine-1, n+firstLine-1, previous+firstLine-1)
	}
	return fmt.Sprintf("; if a value on line %d contains \": \", quote it", n+firstLine-1)
}

// indentation returns the number of spaces and tabs that start line, with
// the "- " of a list item counted as indentation, as YAML counts it for the
// keys of the item.
func indentation(line []byte) int {
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t' || line[n] == '-' && n+1 < len(line) && line[n+1] == ' ') {
		n++
	}
	return n
}

// hasValue reports whether line is a key with a value on the same line,
// such as "- type: prometheus".
func hasValue(line []byte) bool {
	_, value, ok := bytes.Cut(line, []byte(": "))
	value = bytes.TrimSpace(value)
	return ok && len(value) > 0 && value[0] != '#'
}

func isBlankOrComment(line []byte) bool {
	trimmed := bytes.TrimSpace(line)
	return len(trimmed) == 0 || trimmed[0] == '#'
}

// listItems returns the items of a List as documents.
func listItems(tree map[string]any, label string) ([]document, []Problem) {
	items, ok := tree["items"].([]any)
	if !ok && tree["items"] != nil {
		return nil, []Problem{{Object: label, Path: "items", Message: "the items of a List must be a list of objects"}}
	}
	var docs []document
	var problems []Problem
	for i, item := range items {
		itemLabel := fmt.Sprintf("%s, item %d", label, i+1)
		object, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, Problem{Object: itemLabel, Message: "the item is not an object"})
			continue
		}
		doc, problem := newDocument(object, itemLabel)
		if problem != nil {
			problems = append(problems, *problem)
			continue
		}
		docs = append(docs, doc)
	}
	return docs, problems
}

// newDocument reads the kind of a tree and names the document after it.
func newDocument(tree map[string]any, label string) (document, *Problem) {
	kind, ok := tree["kind"].(string)
	if !ok || kind == "" {
		return document{}, &Problem{Object: label, Path: "kind", Message: "missing; set kind: ScaledObject and apiVersion: " + KEDAAPIVersion}
	}
	doc := document{label: label, kind: kind, tree: tree}
	if metadata, ok := tree["metadata"].(map[string]any); ok {
		name, _ := metadata["name"].(string)
		namespace, _ := metadata["namespace"].(string)
		if namespace == "" && kind == KindScaledObject {
			namespace = defaultNamespace
		}
		if name != "" {
			doc.label = objectLabel(kind, namespace, name)
		}
	}
	return doc, nil
}

// objectLabel names an object in messages, such as
// "ScaledObject default/sample-app".
func objectLabel(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// decodeDocument checks doc against the type of target and decodes it,
// ignoring the status of the object. The checker removes the values it
// reports, so the rest still decodes and can be validated.
func decodeDocument(doc document, target any, checker *schemaChecker) []Problem {
	delete(doc.tree, "status")
	checker.check(doc.tree, reflect.TypeOf(target).Elem(), "", "")
	problems := checker.problems
	for i := range problems {
		problems[i].Object = doc.label
	}

	data, err := json.Marshal(doc.tree)
	if err == nil {
		decoder := json.NewDecoder(bytes.NewReader(data))
		decoder.DisallowUnknownFields()
		err = decoder.Decode(target)
	}
	if err != nil {
		problems = append(problems, Problem{Object: doc.label, Message: "cannot decode the document: " + err.Error()})
	}
	return problems
}

// withoutOverlap drops the problems at or under the path of a problem of
// the schema, which come from a field that kept its zero value because its
// value had the wrong type.
func withoutOverlap(problems, schema []Problem) []Problem {
	var distinct []Problem
	for _, p := range problems {
		overlaps := slices.ContainsFunc(schema, func(s Problem) bool {
			return s.Object == p.Object && s.Path != "" &&
				(p.Path == s.Path || strings.HasPrefix(p.Path, s.Path+".") || strings.HasPrefix(p.Path, s.Path+"["))
		})
		if !overlaps {
			distinct = append(distinct, p)
		}
	}
	return distinct
}

// soChecker returns the checker of a ScaledObject document, which drops
// unknown fields of metadata.
func soChecker() *schemaChecker {
	return &schemaChecker{
		lenient: map[reflect.Type]bool{reflect.TypeFor[ObjectMeta](): true},
		unknown: map[reflect.Type]func(string) string{reflect.TypeFor[ScaleTrigger](): misplacedMetadataKey},
	}
}

// misplacedMetadataKey explains a trigger field that is a key of the
// prometheus trigger's metadata, or returns "" for any other field.
func misplacedMetadataKey(key string) string {
	switch key {
	case keyServerAddress, keyQuery, keyThreshold, keyActivationThreshold, keyQueryParameters, keyCustomHeaders,
		keyIgnoreNullValues, keyUnsafeSSL, keyTimeout, keyAWSRegion, keyIdentityOwner, keyAWSRoleARN, keyAuthModes, keyNamespace:
		return "a setting of the prometheus trigger, which belongs under metadata; add a metadata: line above the settings and indent them under it"
	}
	return ""
}

// taChecker returns the checker of a TriggerAuthentication document, whose
// unsupported spec fields get messages that explain how to replace them.
func taChecker() *schemaChecker {
	return &schemaChecker{
		lenient: map[reflect.Type]bool{reflect.TypeFor[ObjectMeta](): true},
		unknown: map[reflect.Type]func(string) string{
			reflect.TypeFor[TriggerAuthenticationSpec](): unsupportedAuthField,
			reflect.TypeFor[PodIdentity]():               unsupportedPodIdentityField,
		},
	}
}

func unsupportedAuthField(key string) string {
	switch key {
	case "env":
		return "not supported in an embedded library, which has no container to read environment variables from; put the value in a secret, reference it with secretTargetRef, and pass it in BuildOptions.Secrets"
	}
	return "not supported; supply the value through secretTargetRef and BuildOptions.Secrets"
}

func unsupportedPodIdentityField(key string) string {
	return fmt.Sprintf("%s is not supported; only provider, roleArn and identityOwner are read", key)
}

// errNoObject is the message of a nil *ScaledObject given to Config.
var errNoObject = errors.New("scaler: the ScaledObject is nil; load one with LoadScaledObject")
