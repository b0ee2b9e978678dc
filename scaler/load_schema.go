package scaler

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// schemaChecker compares a decoded JSON tree with a Go type before the tree
// is decoded into it, so that every unknown field and every value of the
// wrong type is reported with its path, where encoding/json stops at the
// first. It removes what it reports from the tree. Unknown fields of
// lenient types are removed without a report. A struct field tagged
// required:"true" must be present and not null.
type schemaChecker struct {
	problems []Problem
	// lenient lists the struct types whose unknown fields are dropped.
	lenient map[reflect.Type]bool
	// unknown, when set for a struct type, returns the message for one of
	// its unknown fields in place of the generic one, or "" to keep the
	// generic one.
	unknown map[reflect.Type]func(key string) string
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// check walks value, which is a tree decoded with json.Decoder.UseNumber,
// against t. hint describes a valid value of the field for messages. It
// returns false when value itself has the wrong type, so that the caller
// removes it from the tree. Invalid values inside value are removed by
// check itself. The rest of the tree then decodes, and the fields removed
// keep their zero values.
func (c *schemaChecker) check(value any, t reflect.Type, path, hint string) bool {
	if value == nil {
		// JSON null leaves a field at its zero value.
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return c.checkUnmarshaler(value, t, path, hint)
	}

	switch t.Kind() {
	case reflect.Struct:
		return c.checkStruct(value, t, path)
	case reflect.Map:
		return c.checkMap(value, t, path, hint)
	case reflect.Slice:
		return c.checkSlice(value, t, path, hint)
	case reflect.String:
		return c.checkString(value, path)
	case reflect.Bool:
		if _, ok := value.(bool); !ok {
			c.mismatch(path, value, "true or false, without quotes")
			return false
		}
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return c.checkInt(value, t, path, hint)
	case reflect.Float32, reflect.Float64:
		return c.checkFloat(value, path, hint)
	}
	c.add(path, fmt.Sprintf("cannot be decoded into %s", t))
	return false
}

// checkStruct checks the known fields of an object in declaration order,
// then its unknown fields in name order.
func (c *schemaChecker) checkStruct(value any, t reflect.Type, path string) bool {
	object, ok := value.(map[string]any)
	if !ok {
		c.mismatch(path, value, "a mapping of field names to values")
		return false
	}

	known := map[string]bool{}
	for i := range t.NumField() {
		field := t.Field(i)
		name, ok := jsonName(field)
		if !ok {
			continue
		}
		known[name] = true
		v, ok := object[name]
		switch {
		case (!ok || v == nil) && field.Tag.Get("required") == "true":
			c.missing(joinPath(path, name), field.Tag.Get("hint"))
		case ok && !c.check(v, field.Type, joinPath(path, name), field.Tag.Get("hint")):
			delete(object, name)
		}
	}

	unknown := make([]string, 0, len(object))
	for key := range object {
		if !known[key] {
			unknown = append(unknown, key)
		}
	}
	slices.Sort(unknown)
	for _, key := range unknown {
		c.unknownField(t, path, key, known)
		delete(object, key)
	}
	return true
}

// unknownField reports the field key, unless t is lenient.
func (c *schemaChecker) unknownField(t reflect.Type, path, key string, known map[string]bool) {
	if c.lenient[t] {
		return
	}
	if message, ok := c.unknown[t]; ok && message(key) != "" {
		c.add(joinPath(path, key), message(key))
		return
	}
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	slices.Sort(names)
	if guess := closestName(key, names); guess != "" {
		c.add(joinPath(path, key), fmt.Sprintf("unknown field; did you mean %s?", guess))
		return
	}
	c.add(joinPath(path, key), "unknown field; the fields here are "+strings.Join(names, ", "))
}

func (c *schemaChecker) checkMap(value any, t reflect.Type, path, hint string) bool {
	object, ok := value.(map[string]any)
	if !ok {
		c.mismatch(path, value, "a mapping of names to values")
		return false
	}
	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if !c.check(object[key], t.Elem(), joinPath(path, key), hint) {
			delete(object, key)
		}
	}
	return true
}

func (c *schemaChecker) checkSlice(value any, t reflect.Type, path, hint string) bool {
	list, ok := value.([]any)
	if !ok {
		c.mismatch(path, value, "a list")
		return false
	}
	for i, item := range list {
		if !c.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), hint) {
			list[i] = nil
		}
	}
	return true
}

// checkString accepts a string. For a number or a boolean, which YAML reads
// as such when unquoted, the message shows the quoted form.
func (c *schemaChecker) checkString(value any, path string) bool {
	switch v := value.(type) {
	case string:
		return true
	case json.Number, bool:
		text := fmt.Sprint(v)
		c.add(path, fmt.Sprintf("%s is a %s; quote it as %q, because the field takes a string", text, jsonTypeName(v), text))
	default:
		c.mismatch(path, value, "a string")
	}
	return false
}

func (c *schemaChecker) checkInt(value any, t reflect.Type, path, hint string) bool {
	if hint == "" {
		hint = "a whole number"
	}
	number, ok := value.(json.Number)
	if !ok {
		c.mismatch(path, value, hint)
		return false
	}
	if _, err := strconv.ParseInt(number.String(), 10, t.Bits()); err == nil {
		return true
	}
	f, err := strconv.ParseFloat(number.String(), 64)
	if err == nil && f == math.Trunc(f) {
		c.add(path, fmt.Sprintf("%s is out of range; use %s", number, hint))
	} else {
		c.add(path, fmt.Sprintf("%s is not a whole number; use %s", number, hint))
	}
	return false
}

func (c *schemaChecker) checkFloat(value any, path, hint string) bool {
	if hint == "" {
		hint = "a number"
	}
	number, ok := value.(json.Number)
	if !ok {
		c.mismatch(path, value, hint)
		return false
	}
	if _, err := strconv.ParseFloat(number.String(), 64); err != nil {
		c.add(path, fmt.Sprintf("%s is out of range; use %s", number, hint))
		return false
	}
	return true
}

// checkUnmarshaler decodes value into a new t, for types such as time.Time
// and resource.Quantity that parse their own JSON.
func (c *schemaChecker) checkUnmarshaler(value any, t reflect.Type, path, hint string) bool {
	data, err := json.Marshal(value)
	if err == nil {
		err = json.Unmarshal(data, reflect.New(t).Interface())
	}
	if err == nil {
		return true
	}
	if hint == "" {
		hint = "a valid " + t.Name()
	}
	c.add(path, fmt.Sprintf("%s is invalid; use %s", describeJSON(value), hint))
	return false
}

// missing reports a field that KEDA's CRD requires, whose zero value
// would otherwise hide its absence.
func (c *schemaChecker) missing(path, hint string) {
	c.add(path, "missing; KEDA requires it, even when its value is 0, so set "+hint)
}

// mismatch reports a value of the wrong JSON type.
func (c *schemaChecker) mismatch(path string, value any, want string) {
	c.add(path, fmt.Sprintf("%s is %s; use %s", describeJSON(value), article(jsonTypeName(value)), want))
}

func (c *schemaChecker) add(path, message string) {
	c.problems = append(c.problems, Problem{Path: path, Message: message})
}

// jsonName returns the JSON name of a struct field, and false for fields
// that JSON skips.
func jsonName(field reflect.StructField) (string, bool) {
	if !field.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
	switch name {
	case "-":
		return "", false
	case "":
		return field.Name, true
	}
	return name, true
}

// jsonTypeName returns the JSON type of a decoded value.
func jsonTypeName(value any) string {
	switch value.(type) {
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", value)
}

// describeJSON returns a scalar value as it would be written, and "the
// value" for a mapping or a list, which can be long.
func describeJSON(value any) string {
	switch v := value.(type) {
	case string:
		return strconv.Quote(v)
	case json.Number, float64, bool:
		return fmt.Sprint(v)
	}
	return "the value"
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// joinPath appends key to a field path: with a dot for a plain name, and
// as a quoted index for a key such as an annotation name.
func joinPath(path, key string) string {
	if !plainName(key) {
		return fmt.Sprintf("%s[%q]", path, key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainName(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// closestName returns the name that key most likely misspells: one that
// differs only in case, shares a prefix of at least four letters and three
// quarters of key, or differs by at most two edits. It returns "" when
// none is close.
func closestName(key string, names []string) string {
	best, bestDistance := "", 3
	lowerKey := strings.ToLower(key)
	for _, name := range names {
		lowerName := strings.ToLower(name)
		if lowerKey == lowerName {
			return name
		}
		d := editDistance(lowerKey, lowerName)
		if prefix := commonPrefixLength(lowerKey, lowerName); prefix >= 4 && 4*prefix >= 3*len(lowerKey) {
			d = 1
		}
		if d < bestDistance {
			best, bestDistance = name, d
		}
	}
	return best
}

func commonPrefixLength(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// editDistance returns the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}
