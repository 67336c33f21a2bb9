// Command testkube is one binary holding the real Kubernetes parts the Driftless tests run
// against. It is called through symlinks named after each part (busybox style), so the large
// shared dependency tree is compiled and linked once.
//
//	etcd, kube-apiserver, kubectl                    the plain control plane
//	kube-controller-manager, kube-scheduler, kwok    workloads progress (scripts/testenv up --with-controllers)
//	kwok-stages                                      prints the Stage config kwok runs with
package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectl "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodeheartbeat "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	kwok "sigs.k8s.io/kwok/pkg/kwok/cmd"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"
)

// extraStages are the Driftless test stages added to kwok's defaults: pods that fail or
// never become ready, chosen by a label on the pod.
//
//go:embed kwok-stages.yaml
var extraStages string

func main() {
	switch name := filepath.Base(os.Args[0]); name {
	case "etcd":
		etcdmain.Main(os.Args)
	case "kube-apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "kube-scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "kubectl":
		if err := cli.RunNoErrOutput(kubectl.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
	case "kwok":
		os.Exit(runKwok())
	case "kwok-stages":
		// kwok's own default Stages (what kwokctl gives a cluster: node initialize, node
		// heartbeat with lease, pod ready / complete / delete), then ours.
		stages := []string{nodefast.DefaultNodeInit, nodeheartbeat.DefaultNodeHeartbeatWithLease,
			podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete, extraStages}
		for i, s := range stages {
			if i > 0 {
				fmt.Println("---")
			}
			fmt.Println(strings.TrimSpace(s))
		}
	default:
		fmt.Fprintf(os.Stderr, "testkube: unknown part %q; call through a symlink named etcd, kube-apiserver, kubectl, "+
			"kube-controller-manager, kube-scheduler, kwok or kwok-stages\n", name)
		os.Exit(2)
	}
}

// runKwok is what sigs.k8s.io/kwok/cmd/kwok does: global --v and --config flags are read
// first, then the kwok command runs with them in its context.
func runKwok() int {
	global := pflag.NewFlagSet("global", pflag.ContinueOnError)
	global.ParseErrorsAllowlist.UnknownFlags = true
	global.Usage = func() {}
	ctx := signals.SetupSignalContext()
	ctx, logger := kwoklog.InitFlags(ctx, global)
	ctx, err := kwokconfig.InitFlags(ctx, global)
	if err != nil {
		logger.Error("Init config flags", "err", err)
		return 1
	}
	command := kwok.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(global)
	// Cobra adds pflag.CommandLine to every root command, and in this binary it holds
	// component-base's non-bool --version flag, which breaks cobra's own bool --version
	// handling for every run. kwok therefore answers --version itself.
	if slices.Contains(os.Args[1:], "--version") {
		fmt.Println("kwok", command.Version)
		return 0
	}
	command.Version = ""
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		return 1
	}
	return 0
}
