package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shakedown-dev/shakedown/service"
)

// SweepOptions choose what a sweep deletes.
type SweepOptions struct {
	// All deletes every object the harness made, whatever its run: for a cluster that a CI
	// machine's dead runs left objects in with no window end (shakedown sweep --kubernetes --all).
	All bool
	// Keep is a run whose objects are left alone (the sweeper's own).
	Keep string
	// Now is the clock the expiry is read against. nil: time.Now.
	Now func() time.Time
}

// Swept is one object a sweep deleted, and why.
type Swept struct {
	Kind, Namespace, Name, Run, Why string
}

// Sweep deletes, in the namespaces given, the Chaos Mesh objects the harness made whose run is
// over: those of a process of this machine that is no longer alive, those whose window ended
// more than a minute ago (an annotation each carries), and, with All, every one. Objects
// without the harness's label are never touched.
func Sweep(ctx context.Context, c client.Client, namespaces []string, opt SweepOptions) ([]Swept, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	host, _ := os.Hostname()
	host = labelValue(host)
	var out []Swept
	var errs []error
	for _, ns := range namespaces {
		for _, kind := range Kinds {
			list := &metav1.PartialObjectMetadataList{}
			list.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind(kind + "List"))
			if err := c.List(ctx, list, client.InNamespace(ns), client.HasLabels{LabelRun}, client.MatchingLabels{LabelManagedBy: ManagedBy}); err != nil {
				if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
					return nil, fmt.Errorf("%s: the cluster does not know %s: is Chaos Mesh installed (its CRDs)? %w", ns, kind, err)
				}
				errs = append(errs, fmt.Errorf("listing %s in %s: %w", kind, ns, err))
				continue
			}
			for i := range list.Items {
				obj := &list.Items[i]
				why := stale(obj, host, now(), opt)
				if why == "" {
					continue
				}
				obj.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind(kind))
				if err := c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("deleting %s %s/%s: %w", kind, ns, obj.Name, err))
					continue
				}
				out = append(out, Swept{Kind: kind, Namespace: ns, Name: obj.Name, Run: obj.Labels[LabelRun], Why: why})
			}
		}
	}
	return out, errors.Join(errs...)
}

// stale says why obj's run is over, or "" if it may still be running.
func stale(obj *metav1.PartialObjectMetadata, host string, now time.Time, opt SweepOptions) string {
	run := obj.Labels[LabelRun]
	switch {
	case run == opt.Keep:
		return ""
	case opt.All:
		return "every object of the harness's (--all)"
	}
	if exp, err := time.Parse(time.RFC3339, obj.Annotations[AnnotationExpires]); err == nil && now.After(exp) {
		return fmt.Sprintf("its window ended before %s", exp.Format(time.RFC3339))
	}
	if obj.Labels[LabelHost] == host {
		if pid, err := strconv.Atoi(obj.Labels[LabelPid]); err == nil && !alive(pid) {
			return fmt.Sprintf("its harness (pid %d on this machine) is gone", pid)
		}
	}
	return ""
}

// alive reports whether a process with this pid runs (or exists and is not ours to signal).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// SweepCluster connects as Open does (the allow-list included) and sweeps the description's
// namespaces; with all, every object the harness made there goes.
func SweepCluster(ctx context.Context, kube *service.Kubernetes, opt Options, all bool) ([]Swept, error) {
	c, err := connect(kube, opt, "delete Chaos Mesh objects")
	if err != nil {
		return nil, err
	}
	return Sweep(ctx, c, Namespaces(kube), SweepOptions{All: all})
}
