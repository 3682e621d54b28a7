// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// Policy is the metadata policy of one entity type (OIDF §6.1.2): for each
// metadata parameter, its operators and their operands as decoded JSON
// (nil, bool, float64, string, []any, map[string]any).
type Policy map[string]map[string]any

// The operators of OIDF §6.1.3.1, in their order of application (OIDF
// §6.1.4.2, network.md §2.4 step 5).
var operatorOrder = []string{"value", "add", "default", "one_of", "subset_of", "superset_of", "essential"}

// CheckPolicyCrit fails a statement whose metadata_policy_crit (OIDF §3)
// names a policy operator this package does not implement: a critical
// operator not understood makes the trust chain invalid (OIDF §6.1.3.2).
func CheckPolicyCrit(crit []string) error {
	for _, op := range crit {
		if !slices.Contains(operatorOrder, op) {
			return &PolicyError{"metadata_policy_crit", op, "a critical policy operator this operator does not implement"}
		}
	}
	return nil
}

// PolicyError is a metadata policy that cannot be merged or that the
// metadata violates (OIDF §6.1.4).
type PolicyError struct {
	Parameter, Operator, Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("federation: metadata policy: %s: %s: %s", e.Parameter, e.Operator, e.Reason)
}

// MergePolicies combines the metadata policies of a chain into one, the
// superior's first (OIDF §6.1.4.1): for each entity type and parameter the
// operators are merged as each operator's own section of OIDF §6.1.3.1
// says, and the merged operators are checked to be combinable.
func MergePolicies(superior, subordinate map[string]Policy) (map[string]Policy, error) {
	out := make(map[string]Policy, len(superior)+len(subordinate))
	for t, p := range superior {
		out[t] = clonePolicy(p)
	}
	for t, sub := range subordinate {
		sup, ok := out[t]
		if !ok {
			out[t] = clonePolicy(sub)
			continue
		}
		for param, ops := range sub {
			merged, err := mergeOperators(param, sup[param], ops)
			if err != nil {
				return nil, err
			}
			sup[param] = merged
		}
	}
	for _, p := range out {
		for param, ops := range p {
			if err := checkCombination(param, ops); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func clonePolicy(p Policy) Policy {
	out := make(Policy, len(p))
	for param, ops := range p {
		out[param] = maps(ops)
	}
	return out
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mergeOperators merges a subordinate's operators of one parameter into a
// superior's (OIDF §6.1.3.1.1–§6.1.3.1.7, "Merge" of each).
func mergeOperators(param string, sup, sub map[string]any) (map[string]any, error) {
	out := maps(sup)
	for op, b := range sub {
		a, ok := out[op]
		if !ok {
			out[op] = b
			continue
		}
		fail := func(reason string) error { return &PolicyError{param, op, reason} }
		switch op {
		case "value", "default": // equal values only (§6.1.3.1.1, §6.1.3.1.3)
			if !reflect.DeepEqual(a, b) {
				return nil, fail("superior and subordinate set different values")
			}
		case "add", "superset_of": // union (§6.1.3.1.2, §6.1.3.1.6)
			as, bs, err := twoArrays(a, b)
			if err != nil {
				return nil, fail(err.Error())
			}
			out[op] = union(as, bs)
		case "one_of", "subset_of": // intersection (§6.1.3.1.4, §6.1.3.1.5)
			as, bs, err := twoArrays(a, b)
			if err != nil {
				return nil, fail(err.Error())
			}
			in := intersect(as, bs)
			if op == "one_of" && len(in) == 0 {
				return nil, fail("no common value")
			}
			out[op] = in
		case "essential": // a superior's true stays true (§6.1.3.1.7)
			ab, ok1 := a.(bool)
			bb, ok2 := b.(bool)
			if !ok1 || !ok2 {
				return nil, fail("not a boolean")
			}
			out[op] = ab || bb
		default:
			if !reflect.DeepEqual(a, b) {
				return nil, fail("unknown operator set differently")
			}
		}
	}
	return out, nil
}

// checkCombination checks that the operators of one parameter may stand
// together (OIDF §6.1.3.1, "Combining with other operators" of each).
func checkCombination(param string, ops map[string]any) error {
	fail := func(op, reason string) error { return &PolicyError{param, op, reason} }
	val, hasValue := ops["value"]
	for _, op := range []string{"add", "one_of", "subset_of", "superset_of"} {
		if v, ok := ops[op]; ok {
			if _, isArray := v.([]any); !isArray {
				return fail(op, "operand is not an array")
			}
		}
	}
	if e, ok := ops["essential"]; ok {
		if _, isBool := e.(bool); !isBool {
			return fail("essential", "operand is not a boolean")
		}
	}
	if hasValue {
		if val == nil {
			if ops["essential"] == true {
				return fail("value", "null value of an essential parameter")
			}
		} else {
			vs, isArray := val.([]any)
			if add, ok := ops["add"].([]any); ok && (!isArray || !subset(add, vs)) {
				return fail("value", "does not hold the values of add")
			}
			if one, ok := ops["one_of"].([]any); ok && !contains(one, val) {
				return fail("value", "not one of one_of")
			}
			if sub, ok := ops["subset_of"].([]any); ok && (!isArray || !subset(vs, sub)) {
				return fail("value", "not a subset of subset_of")
			}
			if sup, ok := ops["superset_of"].([]any); ok && (!isArray || !subset(sup, vs)) {
				return fail("value", "not a superset of superset_of")
			}
		}
	}
	_, hasOne := ops["one_of"]
	_, hasSub := ops["subset_of"]
	_, hasSup := ops["superset_of"]
	if hasOne && (hasSub || hasSup) {
		return fail("one_of", "may not be combined with subset_of or superset_of")
	}
	if add, ok := ops["add"].([]any); ok && hasSub && !subset(add, ops["subset_of"].([]any)) {
		return fail("add", "adds values outside subset_of")
	}
	if hasSub && hasSup && !subset(ops["superset_of"].([]any), ops["subset_of"].([]any)) {
		return fail("superset_of", "not a subset of subset_of")
	}
	return nil
}

// ApplyPolicy applies a (merged) policy to one entity type's metadata and
// returns the resolved metadata (OIDF §6.1.4.2): for each parameter the
// operators in the order value, add, default, one_of, subset_of,
// superset_of, essential. A violation is a *PolicyError. metadata is not
// changed.
func ApplyPolicy(metadata map[string]any, p Policy) (map[string]any, error) {
	out := maps(metadata)
	params := make([]string, 0, len(p))
	for param := range p {
		params = append(params, param)
	}
	slices.Sort(params)
	for _, param := range params {
		ops := p[param]
		if err := checkCombination(param, ops); err != nil {
			return nil, err
		}
		for _, op := range operatorOrder {
			operand, ok := ops[op]
			if !ok {
				continue
			}
			if err := applyOperator(out, param, op, operand); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// applyOperator applies one operator (OIDF §6.1.3.1.1–§6.1.3.1.7, "Apply"
// of each). Operators this package does not know are skipped, as OIDF
// §6.1.3.2 allows for those not named critical.
func applyOperator(md map[string]any, param, op string, operand any) error {
	cur, present := md[param]
	fail := func(reason string) error { return &PolicyError{param, op, reason} }
	switch op {
	case "value":
		if operand == nil {
			delete(md, param)
		} else {
			md[param] = operand
		}
	case "add":
		if !present {
			md[param] = operand
			return nil
		}
		cs, ok := cur.([]any)
		if !ok {
			return fail("the parameter is not an array")
		}
		md[param] = union(cs, operand.([]any))
	case "default":
		if !present {
			md[param] = operand
		}
	case "one_of":
		if present && !contains(operand.([]any), cur) {
			return fail("the value is not one of the allowed values")
		}
	case "subset_of":
		if !present {
			return nil
		}
		cs, ok := cur.([]any)
		if !ok {
			return fail("the parameter is not an array")
		}
		md[param] = intersect(cs, operand.([]any))
	case "superset_of":
		if !present {
			return nil
		}
		cs, ok := cur.([]any)
		if !ok || !subset(operand.([]any), cs) {
			return fail("the value does not hold every required value")
		}
	case "essential":
		if operand == true && !present {
			return fail("the parameter is missing")
		}
	}
	return nil
}

// DecodeMetadata decodes one entity type's metadata for ApplyPolicy.
func DecodeMetadata(raw json.RawMessage) (map[string]any, error) {
	var md map[string]any
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, err
	}
	if md == nil {
		md = map[string]any{}
	}
	return md, nil
}

func twoArrays(a, b any) ([]any, []any, error) {
	as, ok1 := a.([]any)
	bs, ok2 := b.([]any)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("operand is not an array")
	}
	return as, bs, nil
}

func contains(set []any, v any) bool {
	return slices.IndexFunc(set, func(x any) bool { return reflect.DeepEqual(x, v) }) >= 0
}

// subset reports whether every element of a is in b.
func subset(a, b []any) bool {
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func union(a, b []any) []any {
	out := slices.Clone(a)
	for _, x := range b {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func intersect(a, b []any) []any {
	out := []any{}
	for _, x := range a {
		if contains(b, x) && !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
