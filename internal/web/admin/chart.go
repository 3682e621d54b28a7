// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"strconv"
	"time"

	"github.com/omadata/omadata/internal/web/webui"
)

// Charts of the overview: bars drawn on the server as SVG, with no
// JavaScript. Each chart is an image with a title and a description that
// a screen reader reads, and the same numbers as a table under it.

// The chart's drawing area, in SVG user units: the SVG scales to the
// width it is given.
const (
	chartW, chartH      = 640.0, 200.0
	chartLeft, chartTop = 44.0, 10.0
	chartBottom         = 24.0 // room for the dates
)

// chart is a stacked bar chart of two counts per day.
type chart struct {
	ID, Title, Desc string
	Series          [2]string // what the two counts are
	Bars            []chartBar
	YTicks, XTicks  []chartTick
	Width, Height   float64
	Left, Base      float64 // where the axes meet
	Top             float64
	Right           float64
	Total           [2]int
	Today           *chartTick // a line at today, on a chart that goes on past it
}

type chartBar struct {
	Date   string // as the page's language writes it
	X, W   float64
	Y0, H0 float64 // the first count, at the bottom
	Y1, H1 float64 // the second, on top
	N0, N1 int
	Label  string // the bar's numbers in words, its tooltip
}

type chartTick struct {
	At    float64
	Label string
}

// niceMax rounds n up to 1, 2 or 5 times a power of ten, so that the
// scale's ticks are round numbers.
func niceMax(n int) int {
	if n < 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// chartDay is one day's two counts.
type chartDay struct {
	Day  time.Time
	A, B int
}

// newChart lays out a chart of the days' two counts. A today after the
// first day is marked with a line, for a chart that goes on past it.
func newChart(lang, id string, days []chartDay, today time.Time) *chart {
	c := &chart{ID: id, Title: msg(lang, "overview."+id), Series: [2]string{msg(lang, "overview."+id+".0"), msg(lang, "overview."+id+".1")},
		Width: chartW, Height: chartH, Left: chartLeft, Base: chartH - chartBottom, Top: chartTop, Right: chartW - 4}
	most := 0
	for _, d := range days {
		a, b := d.A, d.B
		c.Total[0] += a
		c.Total[1] += b
		most = max(most, a+b)
	}
	top := niceMax(most)
	plotH := c.Base - chartTop
	slot := (c.Right - c.Left) / float64(max(len(days), 1))
	scale := func(n int) float64 { return plotH * float64(n) / float64(top) }
	for i, d := range days {
		a, b := d.A, d.B
		x := c.Left + float64(i)*slot
		if i > 0 && d.Day.Equal(today) && i < len(days)-1 {
			c.Today = &chartTick{round(x), msg(lang, "overview.today")}
		}
		bar := chartBar{Date: webui.FormatDate(lang, d.Day), X: round(x + slot*0.15), W: round(slot * 0.7), N0: a, N1: b}
		bar.H0 = round(scale(a))
		bar.Y0 = round(c.Base - scale(a))
		bar.H1 = round(scale(b))
		bar.Y1 = round(c.Base - scale(a) - scale(b))
		bar.Label = msgf(lang, "overview.bar", bar.Date, c.Series[0], a, c.Series[1], b)
		c.Bars = append(c.Bars, bar)
		// A date under the first day and every week after it.
		if i%7 == 0 {
			c.XTicks = append(c.XTicks, chartTick{round(x + slot/2), shortDate(lang, d.Day)})
		}
	}
	ticks := []int{0, top}
	if top%2 == 0 {
		ticks = []int{0, top / 2, top}
	}
	for _, n := range ticks {
		c.YTicks = append(c.YTicks, chartTick{round(c.Base - scale(n)), webui.FormatNumber(lang, int64(n))})
	}
	first, last := "", ""
	if len(days) > 0 {
		first, last = webui.FormatDate(lang, days[0].Day), webui.FormatDate(lang, days[len(days)-1].Day)
	}
	c.Desc = msgf(lang, "overview.desc", first, last, c.Series[0], c.Total[0], c.Series[1], c.Total[1])
	return c
}

// shortDate is a date without its year: 22.11. in Finnish and Swedish,
// 22 Nov in English.
func shortDate(lang string, t time.Time) string {
	t = t.In(webui.Zone)
	if lang == "en" {
		return strconv.Itoa(t.Day()) + " " + t.Month().String()[:3]
	}
	return strconv.Itoa(t.Day()) + "." + strconv.Itoa(int(t.Month())) + "."
}

func round(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
