// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"strings"
	"testing"
	"time"
)

// TestMyData: every demo resident's "my data" shows data about them, by
// name. Sanna, who moved, sees her address history and her daughter
// Ella's early childhood education placement handed over to Espoo on its
// statutory ground, and the transfer in "who used my data".
func TestMyData(t *testing.T) {
	e := newEnv(t, time.Time{})
	e.loadActivity(t)
	for person, want := range map[string][]string{
		"aino":  {"This page shows what data about Aino Virtanen", "Wellbeing measurements", "Wellbeing indicators study", "Ground</dt><dd>your consent"},
		"matti": {"This page shows what data about Matti Korhonen", "Wellbeing measurements", "Wellbeing indicators study", "Ground</dt><dd>your consent", "Data about your child Emma Korhonen"},
		"sanna": {"This page shows what data about Sanna Mäkinen", "Address history", "Data about your child Ella Mäkinen that was handed over",
			"Early childhood education placements", "Espoo early childhood education",
			"task in the public interest or exercise of official authority – Varhaiskasvatuslaki (540/2018) – lagen om småbarnspedagogik (540/2018) – Act on Early Childhood Education and Care (540/2018)"},
	} {
		c := e.client(t)
		c.login("en", person)
		p := c.get("/en/my-data")
		used := between(p.body, `<h2 id="used">`, `<h2 id="registers">`)
		for _, w := range want {
			if !strings.Contains(used, w) && !strings.Contains(p.body, w) {
				t.Errorf("%s: my data lacks %q:\n%s", person, w, used)
			}
		}
		if strings.Contains(used, "No data has been handed over.") && person != "matti" {
			t.Errorf("%s: my data says nothing was handed over", person)
		}
	}
	c := e.client(t)
	c.login("sv", "sanna")
	p := c.get("/sv/my-data")
	if !strings.Contains(p.body, "Platser inom småbarnspedagogiken") || !strings.Contains(p.body, "Uppgifter om ditt barn Ella Mäkinen") {
		t.Error("the Swedish page does not show Ella's placement")
	}
	u := c.get("/sv/usage")
	if !strings.Contains(u.body, "Utlämning: Småbarnspedagogiken i Esbo") || !strings.Contains(u.body, "Adresshistorik") {
		t.Errorf("Sanna's usage does not list the transfer to Espoo: %s", between(u.body, "<main", "</main>"))
	}
}
