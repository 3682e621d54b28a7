// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
)

// applyPolicy applies a subordinate statement's metadata policy for one
// entity type to the leaf's metadata of that type (OIDF §6.1.3, §6.1.4),
// the operators in the order docs/network.md §2.4 step 5 gives: value,
// add, default, one_of, subset_of, superset_of, essential. A violation is
// an error naming the parameter. It returns a new map.
func applyPolicy(md jsonObj, policy policySet) (jsonObj, error) {
	out := make(jsonObj, len(md))
	for k, v := range md {
		out[k] = v
	}
	names := make([]string, 0, len(policy))
	for n := range policy {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ops := policy[name]
		for op := range ops {
			switch op {
			case "value", "add", "default", "one_of", "subset_of", "superset_of", "essential":
			default:
				// OIDF §6.1.4.1: an unknown operator fails the chain
				// unless it is marked non-critical; none is here.
				return nil, fmt.Errorf("metadata policy of %s: unknown operator %q", name, op)
			}
		}
		v, present := out[name]
		if val, ok := ops["value"]; ok { // §6.1.3.1.1
			if val == nil {
				delete(out, name)
				present = false
			} else {
				out[name], v, present = val, val, true
			}
		}
		if add, ok := ops["add"]; ok { // §6.1.3.1.2
			l, _ := v.([]any)
			for _, a := range asList(add) {
				if !slices.ContainsFunc(l, func(x any) bool { return reflect.DeepEqual(x, a) }) {
					l = append(l, a)
				}
			}
			out[name], v, present = l, l, true
		}
		if def, ok := ops["default"]; ok && !present { // §6.1.3.1.3
			out[name], v, present = def, def, true
		}
		if one, ok := ops["one_of"]; ok && present { // §6.1.3.1.4
			if !containsValue(asList(one), v) {
				return nil, fmt.Errorf("metadata %s: %s is not one of %s", name, jsonText(v), jsonText(one))
			}
		}
		if sub, ok := ops["subset_of"]; ok && present { // §6.1.3.1.5
			allowed := asList(sub)
			var kept []any
			for _, x := range asList(v) {
				if containsValue(allowed, x) {
					kept = append(kept, x)
				}
			}
			out[name], v = kept, kept
		}
		if sup, ok := ops["superset_of"]; ok && present { // §6.1.3.1.6
			for _, x := range asList(sup) {
				if !containsValue(asList(v), x) {
					return nil, fmt.Errorf("metadata %s: %s lacks %s", name, jsonText(v), jsonText(x))
				}
			}
		}
		if ess, ok := ops["essential"]; ok && ess == true && !present { // §6.1.3.1.7
			return nil, fmt.Errorf("metadata %s is essential and absent", name)
		}
	}
	return out, nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func containsValue(l []any, v any) bool {
	return slices.ContainsFunc(l, func(x any) bool { return reflect.DeepEqual(x, v) })
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
