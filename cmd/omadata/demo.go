// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/federation"
)

// DemoCommand runs demonstrations made of several omadata processes.
type DemoCommand struct {
	m *Main
}

func newDemoCommand(m *Main) *DemoCommand { return &DemoCommand{m: m} }

// Run runs "demo network".
func (c *DemoCommand) Run(ctx context.Context, args []string) error {
	switch {
	case len(args) == 0:
		return usageErrorf("demo: missing subcommand network (run \"omadata demo -h\" for usage)")
	case args[0] == "network":
		return c.network(ctx, args[1:])
	case args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		c.Usage()
		return flag.ErrHelp
	}
	return usageErrorf("demo: unknown subcommand %q (run \"omadata demo -h\" for usage)", args[0])
}

// Usage prints the command's help.
func (c *DemoCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata demo network [flags]

Starts a demo network of operators on this machine (docs/network.md,
"Try it"): a trust anchor and three demo operators, Helsinki, Espoo and
Turku, each a process of its own with its own SQLite database in --dir and
its own city's demo catalogue and residents, on consecutive ports from
--base-port (the operators first, then the anchor). It admits the three at
the anchor, prints their portals, and stops them all on Ctrl-C.
`)
}

func (c *DemoCommand) network(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo network", flag.ContinueOnError)
	base := fs.Int("base-port", 8080, "first of four consecutive ports: Helsinki, Espoo, Turku, the trust anchor")
	dir := fs.String("dir", "omadata-network", "directory of the databases, keys, tokens and logs")
	usage := func() {
		c.Usage()
		printFlags(c.m.Stdout, fs)
	}
	if err := parseFlags(fs, args, usage, 0); err != nil {
		return err
	}
	if *base < 1 || *base > 65535-3 {
		return usageErrorf("demo network: --base-port %d: want a port from 1 to 65532", *base)
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("demo network: the omadata binary: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := startNetwork(ctx, networkOptions{Bin: bin, Dir: *dir, BasePort: *base, Progress: c.m.Stderr})
	if err != nil {
		return err
	}
	defer n.Stop()
	n.PrintWelcome(c.m.Stdout)
	select {
	case <-ctx.Done():
		fmt.Fprintln(c.m.Stderr, "stopping the demo network")
		return nil
	case p := <-n.exited:
		return fmt.Errorf("demo network: %s stopped: %v\n%s", p.Name, p.err, p.tail())
	}
}

// networkOptions say how startNetwork starts a demo network.
type networkOptions struct {
	Bin      string // the omadata binary each process runs
	Dir      string // one subdirectory per operator, the anchor's database, the logs
	BasePort int    // Helsinki, Espoo, Turku, then the anchor
	// Databases replaces the SQLite database of an operator, by city
	// ("helsinki": a PostgreSQL DSN, say).
	Databases map[string]string
	// Env is added to every operator's environment.
	Env []string
	// Progress, if set, gets a line for each step.
	Progress io.Writer
}

// demoRulebook is the rulebook version of the demo network.
const demoRulebook = 1

// demoNet is a running demo network.
type demoNet struct {
	Dir       string
	Anchor    *child
	Operators []*child // in demo.Cities order
	exited    chan *child
}

// child is one process of a demo network.
type child struct {
	Name    string // "anchor" or a city
	URL     string // its entity identifier and base URL
	LogFile string // its standard output and error
	DB      string // its database
	cmd     *exec.Cmd
	done    chan struct{} // closed when it exits, after err is set
	err     error
}

// startNetwork starts the anchor, then the three operators joined to it,
// waits for each to be ready, and admits the operators at the anchor. On
// an error it stops whatever it started.
func startNetwork(ctx context.Context, o networkOptions) (n *demoNet, err error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	n = &demoNet{Dir: dir, exited: make(chan *child, 4)}
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "demo network: "+format+"\n", args...)
		}
	}
	url := func(i int) string { return "http://127.0.0.1:" + strconv.Itoa(o.BasePort+i) }

	anchorURL := url(len(demo.Cities()))
	anchorDB := filepath.Join(dir, "anchor.db")
	n.Anchor = &child{Name: "anchor", URL: anchorURL, DB: anchorDB, LogFile: filepath.Join(dir, "anchor.log")}
	if err := n.start(ctx, o.Bin, n.Anchor, nil, "network", "anchor", "serve",
		"--listen", strings.TrimPrefix(anchorURL, "http://"), "--db", anchorDB, "--id", anchorURL,
		"--rulebook", strconv.Itoa(demoRulebook)); err != nil {
		return n, err
	}
	say("trust anchor starting at %s", anchorURL)
	if _, err := n.waitGet(ctx, n.Anchor, "/.well-known/openid-federation"); err != nil {
		return n, err
	}
	// The anchor's keys as a joining city gets them (docs/network.md
	// §12.4): "omadata network anchor keys".
	jwks, err := exec.CommandContext(ctx, o.Bin, "network", "anchor", "keys", "--db", anchorDB).Output()
	if err != nil {
		return n, fmt.Errorf("omadata network anchor keys: %w", err)
	}
	if _, err := federation.ParseJWKS(jwks); err != nil {
		return n, fmt.Errorf("omadata network anchor keys: %w", err)
	}
	jwksFile := filepath.Join(dir, "anchor.jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		return n, err
	}

	for i, city := range demo.Cities() {
		name := demo.CityName(city)
		cdir := filepath.Join(dir, city)
		if err := os.MkdirAll(cdir, 0o700); err != nil {
			return n, err
		}
		db := o.Databases[city]
		if db == "" {
			db = "sqlite:" + filepath.Join(cdir, "omadata.db")
		}
		op := &child{Name: city, URL: url(i), DB: db, LogFile: filepath.Join(dir, city+".log")}
		n.Operators = append(n.Operators, op)
		env := append([]string{
			"OMADATA_DATABASE_URL=" + db,
			"OMADATA_LISTEN=" + strings.TrimPrefix(op.URL, "http://"),
			"OMADATA_PUBLIC_URL=" + op.URL,
			"OMADATA_DEMO=true",
			"OMADATA_DEMO_CITY=" + city,
			"OMADATA_NETWORK_ANCHOR=" + anchorURL,
			"OMADATA_NETWORK_ANCHOR_JWKS=" + jwksFile,
			"OMADATA_NETWORK_RULEBOOK=" + strconv.Itoa(demoRulebook),
			"OMADATA_NETWORK_NAME_FI=" + name["fi"],
			"OMADATA_NETWORK_NAME_SV=" + name["sv"],
			"OMADATA_NETWORK_NAME_EN=" + name["en"],
			"OMADATA_NETWORK_SYNC_INTERVAL=2s",
			// A newly published processing reaches the other cities
			// within seconds, not the default 300 s.
			"OMADATA_NETWORK_CATALOGUE_MAX_AGE=5s",
			// Each operator's checkpoints are cosigned by the two others
			// and the anchor within seconds (docs/witnessing.md §3).
			"OMADATA_WITNESS_INTERVAL=1s",
		}, o.Env...)
		if err := n.start(ctx, o.Bin, op, env, "serve"); err != nil {
			return n, err
		}
		say("%s starting at %s", name["en"], op.URL)
	}
	for _, op := range n.Operators {
		if _, err := n.waitGet(ctx, op, "/readyz"); err != nil {
			return n, err
		}
	}
	for _, op := range n.Operators {
		out, err := exec.CommandContext(ctx, o.Bin, "network", "anchor", "admit", "--db", anchorDB,
			"--reason", "demo network ("+op.Name+")", "--by", "omadata demo network", op.URL).CombinedOutput()
		if err != nil { // admitting a member again changes nothing but its keys
			return n, fmt.Errorf("admit %s at the trust anchor: %v\n%s", op.URL, err, out)
		}
		say("%s admitted at the trust anchor", op.URL)
	}
	return n, nil
}

// start starts one process of the network, its output appended to its
// log file.
func (n *demoNet) start(ctx context.Context, bin string, c *child, env []string, args ...string) error {
	log, err := os.OpenFile(c.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	c.cmd = exec.Command(bin, args...)
	// No load balancer reads their /readyz: Ctrl-C stops them without
	// the drain delay.
	c.cmd.Env = append(append(os.Environ(), "OMADATA_SHUTDOWN_DELAY=0s"), env...)
	c.cmd.Dir = n.Dir
	c.cmd.Stdout, c.cmd.Stderr = log, log
	// Its own process group: the terminal's Ctrl-C reaches this process
	// only, which then stops the children in order.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	c.done = make(chan struct{})
	go func() {
		c.err = c.cmd.Wait()
		log.Close()
		close(c.done)
		select {
		case n.exited <- c:
		default:
		}
	}()
	return nil
}

// waitGet waits until the process answers GET path with 200, within a
// minute, and returns the body.
func (n *demoNet) waitGet(ctx context.Context, c *child, path string) ([]byte, error) {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := hc.Get(c.URL + path)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return b, nil
			}
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("%s exited before it was ready: %v\n%s", c.Name, c.err, c.tail())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s did not answer GET %s with 200 in a minute\n%s", c.Name, path, c.tail())
		}
	}
}

// Stop interrupts every process, operators first, and waits for each to
// stop, killing one that takes longer than serve's shutdown timeout.
func (n *demoNet) Stop() {
	all := append(append([]*child{}, n.Operators...), n.Anchor)
	for _, c := range all {
		if c != nil && c.cmd != nil && c.cmd.Process != nil {
			c.cmd.Process.Signal(os.Interrupt)
		}
	}
	for _, c := range all {
		if c == nil || c.done == nil {
			continue
		}
		select {
		case <-c.done:
		case <-time.After(DefaultConfig().ShutdownTimeout + 5*time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
}

// tail is the end of the process's log, for an error message.
func (c *child) tail() string {
	b, _ := os.ReadFile(c.LogFile)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// PrintWelcome tells the person who started the network where to go.
func (n *demoNet) PrintWelcome(w io.Writer) {
	fmt.Fprintf(w, "omadata %s demo network: a trust anchor and three operators, each with its own database in %s\n\n", Version(), n.Dir)
	for _, op := range n.Operators {
		fmt.Fprintf(w, "  %-18s %s/\n", demo.CityName(op.Name)["en"], op.URL)
	}
	fmt.Fprintf(w, "  %-18s %s/.well-known/openid-federation\n", "Trust anchor", n.Anchor.URL)
	h := n.Operators[0]
	fmt.Fprintf(w, `
Sign in to the City of Helsinki's portal as Aino Virtanen (the demo
sign-in offers her):
  %s/
Within a minute her consent to Espoo sports services' "Your Helsinki
sports card at Espoo's sports facilities", a processing registered at the
City of Espoo's operator, is on her Consents page, and "Who used my data"
shows Espoo's use of her Helsinki sports services data, with both
operators' log proofs.

Each operator's admin token, sink token and source token are in its
directory (%s/<city>/omadata.demo-*); the logs are %s/*.log.

Stop with Ctrl-C.
`, h.URL, n.Dir, n.Dir)
}
