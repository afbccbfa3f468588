// Package pluginhost starts tool plugins as subprocesses over go-plugin's
// gRPC protocol and carries calls to them.
//
// Start verifies the binary's optional sha256 pin, starts it with only the
// environment mcp.toml lists, completes the handshake (AutoMTLS), hands the
// plugin its configuration and learns its tools. Everything the plugin writes
// to stderr reaches the host log tagged with the plugin's name.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/sdk"
	toolgatev1 "github.com/toolgate/toolgate/sdk/proto/toolgate/v1"
)

// Plugin is one running plugin process.
type Plugin struct {
	Name string
	// Path is the binary's absolute path and Digest its sha256, hex.
	Path   string
	Digest string
	// Tools, Prompts, Resources and ResourceTemplates are what the plugin
	// offered at Init, in its order. A plugin built before prompts and
	// resources existed offers none.
	Tools             []*toolgatev1.Tool
	Prompts           []*toolgatev1.Prompt
	Resources         []*toolgatev1.Resource
	ResourceTemplates []*toolgatev1.ResourceTemplate

	client *plugin.Client
	pid    int
	proto  plugin.ClientProtocol
	rpc    toolgatev1.PluginClient
	log    *slog.Logger
	// exited is closed when the process ends; stopping tells an exit we
	// asked for from a crash.
	exited   chan struct{}
	stopping atomic.Bool
}

// Options are what Start needs besides the plugin's own entry.
type Options struct {
	// Dir is the directory relative paths resolve against and the plugin's
	// working directory: the config file's directory.
	Dir         string
	HostVersion string
	Logger      *slog.Logger
	// OnListChanged, when set, is called when a plugin's tools leave or
	// return to tools/list (plugins.when_parked = "hide").
	OnListChanged func()
	// OnOfferChanged, when set, receives each offer a plugin announces
	// while it runs that differs from its current one (a restarted
	// process's first offer among them, which undoes the changes of the
	// process before). The host rebuilds its catalog with it and then
	// hands it to Supervised.UseOffer; an error refuses it, and it is
	// logged. It runs on a goroutine of its own for each process.
	OnOfferChanged func(s *Supervised, offer *toolgatev1.InitResponse) error
	// OnResourceUpdated, when set, receives the URI of every resource a
	// plugin reports changed, from each of its processes in turn. Only a
	// URI the reporting plugin offers (one of its resources, or a match of
	// one of its templates) is handed on: a plugin cannot announce
	// another's. It may be called from several goroutines at once and must
	// not block for long.
	OnResourceUpdated func(uri string)
}

// Start starts one plugin and returns it ready for calls.
func Start(ctx context.Context, spec config.Plugin, opts Options) (*Plugin, error) {
	path := spec.BinaryPath(opts.Dir)
	digest, err := BinaryDigest(path)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", spec.Name, err)
	}
	if spec.SHA256 != "" && spec.SHA256 != digest {
		return nil, fmt.Errorf("plugin %s: binary %s has sha256 %s but mcp.toml pins %s: refusing to start it (rebuild the plugin or update plugins.sha256)",
			spec.Name, path, digest, spec.SHA256)
	}
	cfgJSON, err := spec.ConfigJSON()
	if err != nil {
		return nil, fmt.Errorf("plugin %s: encoding [plugins.config]: %w", spec.Name, err)
	}

	log := opts.Logger.With("plugin", spec.Name)
	cmd := exec.Command(path, spec.Args...)
	cmd.Dir = opts.Dir
	cmd.Env = envList(spec.Env)
	cmd.SysProcAttr = dieWithParent()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: sdk.Handshake,
		Plugins:         sdk.PluginSet(nil),
		Cmd:             cmd,
		SkipHostEnv:     true,
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(int(spec.MaxResultBytes)), grpc.MaxCallSendMsgSize(sdk.MaxMessageBytes)),
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     spec.StartTimeout,
		// go-plugin's own chatter is left out: the host logs what matters
		// (start, failure, exit) itself.
		Logger:     hclog.NewNullLogger(),
		Stderr:     newLogWriter(log, "stderr"),
		SyncStdout: newLogWriter(log, "stdout"),
		SyncStderr: newLogWriter(log, "stderr"),
	})
	p := &Plugin{Name: spec.Name, Path: path, Digest: digest, client: client, log: log, exited: make(chan struct{})}
	if err := p.handshake(ctx, spec, cfgJSON, opts.HostVersion); err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s (%s): %w", spec.Name, path, err)
	}
	pid := client.ReattachConfig().Pid
	p.pid = pid
	go p.watch(pid)
	log.Info("plugin started", "pid", pid, "tools", len(p.Tools), "prompts", len(p.Prompts),
		"resources", len(p.Resources), "resource_templates", len(p.ResourceTemplates), "sha256", digest)
	return p, nil
}

// watch logs the process's end the moment it happens and makes later calls
// fail at once instead of on a broken connection.
func (p *Plugin) watch(pid int) {
	waitExit(pid)
	close(p.exited)
	if p.stopping.Load() {
		p.log.Info("plugin stopped", "pid", pid)
		return
	}
	p.log.Error("plugin exited unexpectedly", "pid", pid)
}

// errExited means a call found the process gone before it was sent: the
// plugin never saw it, so it may go to the next process.
var errExited = fmt.Errorf("%w: has exited", ErrUnavailable)

func (p *Plugin) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Exited is closed when the plugin process has ended.
func (p *Plugin) Exited() <-chan struct{} { return p.exited }

// Ping asks the plugin's gRPC health service whether it still serves.
func (p *Plugin) Ping() error { return p.proto.Ping() }

func (p *Plugin) handshake(ctx context.Context, spec config.Plugin, cfgJSON []byte, hostVersion string) error {
	proto, err := p.client.Client()
	if err != nil {
		return fmt.Errorf("starting: %w", err)
	}
	p.proto = proto
	if err := limitProcess(p.client.ReattachConfig().Pid, spec); err != nil {
		return err
	}
	raw, err := proto.Dispense(sdk.PluginName)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	rpc, ok := raw.(toolgatev1.PluginClient)
	if !ok {
		return fmt.Errorf("connecting: plugin served %T, not the toolgate contract", raw)
	}
	ctx, cancel := context.WithTimeout(ctx, spec.StartTimeout)
	defer cancel()
	resp, err := rpc.Init(ctx, &toolgatev1.InitRequest{Config: cfgJSON, HostVersion: hostVersion})
	if err != nil {
		return fmt.Errorf("init: %w", grpcError(err))
	}
	p.rpc = rpc
	p.Tools = resp.GetTools()
	p.Prompts, p.Resources, p.ResourceTemplates = resp.GetPrompts(), resp.GetResources(), resp.GetResourceTemplates()
	return nil
}

// ErrNoResult means the plugin ended a call without sending its result.
var ErrNoResult = errors.New("plugin ended the call without a result")

// CallTool runs one call. Progress and log events are handed to onEvent (nil
// drops them) as they arrive; the final result is returned. ctx bounds the
// call: when it is done, the plugin's context is cancelled too.
func (p *Plugin) CallTool(ctx context.Context, req *toolgatev1.CallToolRequest, onEvent func(*toolgatev1.CallToolEvent)) (*toolgatev1.CallToolResult, error) {
	if p.hasExited() {
		return nil, errExited
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // releases the stream if we stop reading before its end
	stream, err := p.rpc.CallTool(ctx, req)
	if err != nil {
		return nil, grpcError(err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return nil, ErrNoResult
		}
		if err != nil {
			return nil, grpcError(err)
		}
		if r := ev.GetResult(); r != nil {
			return r, nil
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
}

// stopGrace bounds how long Stop waits for the plugin to exit when asked.
const stopGrace = 5 * time.Second

// Stop ends the plugin process: go-plugin asks it to exit and kills it after
// a grace period. A process that does not answer the request (it is
// stopped, or deadlocked) is killed after stopGrace.
func (p *Plugin) Stop() {
	p.stopping.Store(true)
	done := make(chan struct{})
	go func() { p.client.Kill(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopGrace):
		p.log.Warn("plugin did not exit when asked: killing it", "pid", p.pid, "grace", stopGrace)
		p.sigkill()
		<-done
	}
}

// Kill ends a hung process at once. Stop would first ask it to exit over
// its connection, which a process that does not answer never does.
func (p *Plugin) Kill() {
	p.sigkill()
	<-p.exited
	p.client.Kill() // releases the connection; the process is gone
}

func (p *Plugin) sigkill() {
	if proc, err := os.FindProcess(p.pid); err == nil && p.pid > 0 {
		_ = proc.Kill()
	}
}

// envList turns the configured environment into exec's form, sorted so the
// child's environment is the same on every start.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// StartAll starts and supervises every configured plugin. On any failure
// it stops those already started and returns the error: the host starts with
// all of its plugins or not at all.
func StartAll(ctx context.Context, specs []config.Plugin, opts Options) ([]*Supervised, error) {
	started := make([]*Supervised, 0, len(specs))
	for i, spec := range specs {
		opts.Logger.Info("starting plugin", "plugin", spec.Name, "n", i+1, "of", len(specs))
		s, err := Supervise(ctx, spec, opts)
		if err != nil {
			StopAll(started)
			return nil, err
		}
		started = append(started, s)
	}
	return started, nil
}

// StopAll stops plugins concurrently, since each may wait out a grace period.
func StopAll(ss []*Supervised) {
	done := make(chan struct{}, len(ss))
	for _, s := range ss {
		go func() { s.Stop(); done <- struct{}{} }()
	}
	for range ss {
		<-done
	}
}
