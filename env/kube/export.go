package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/service"
)

// ExportPlan is what an export writes: a scenario's faults on its timeline, with its seed's
// decisions.
type ExportPlan struct {
	// Scenario names the objects (its name is their prefix) and their annotation.
	Scenario string
	Seed     uint64
	// FaultStart is the fault phase's offset from the start of the run (the warmup's length),
	// FaultPhase its length.
	FaultStart, FaultPhase time.Duration
	Faults                 []faults.Spec
}

// The forms an export writes.
const (
	// FormManifests is one object per window the seed's draws open, each with the window's
	// length as its duration and its offset from the run's start in an annotation: for a
	// pipeline that applies each at its time.
	FormManifests = "manifests"
	// FormWorkflow is one Workflow that runs every window at its offset: Suspend steps between
	// a fault's windows, the faults in parallel.
	FormWorkflow = "workflow"
)

// AnnotationOffset is a manifest's offset from the start of the run, when it is to be applied.
const AnnotationOffset = "shakedown.dev/offset"

// Export writes the plan's faults as Chaos Mesh objects in form (FormManifests or
// FormWorkflow), as YAML documents. schedule, when set, is a cron schedule: the Workflow is
// wrapped in a Schedule that runs it (the nightly form). A fault Chaos Mesh cannot express, or
// can only approximate in a description that does not allow it, is an error naming it and why;
// one that runs on the description's fault proxy has no object, and a comment says so.
func Export(w io.Writer, kube *service.Kubernetes, p ExportPlan, form, schedule string) error {
	var objs []client.Object
	switch form {
	case FormManifests, "":
		if schedule != "" {
			return fmt.Errorf("a schedule is for the workflow form (--form workflow)")
		}
		ms, err := manifests(kube, p)
		if err != nil {
			return err
		}
		objs = ms
	case FormWorkflow:
		wf, err := workflow(kube, p)
		if err != nil {
			return err
		}
		objs = []client.Object{wf}
		if schedule != "" {
			objs = []client.Object{scheduleOf(wf, schedule)}
		}
	default:
		return fmt.Errorf("form %q; want %s or %s", form, FormManifests, FormWorkflow)
	}
	var notes []string
	for _, sp := range ProxyFaults(kube, p.Faults) {
		notes = append(notes, fmt.Sprintf("# fault %q (%s) runs on the fault proxy at %s, decided per request from the run's seed: shakedown run sets it there; it has no Chaos Mesh object.\n",
			sp.Base().Name, sp.Base().Type, kube.FaultProxy.API))
	}
	if len(notes) > 0 {
		if _, err := io.WriteString(w, strings.Join(notes, "")); err != nil {
			return err
		}
	}
	return writeObjects(w, objs)
}

// ProxyFaults returns the faults that run on the description's fault proxy (OnFaultProxy), which
// an export has no object for.
func ProxyFaults(kube *service.Kubernetes, specs []faults.Spec) []faults.Spec {
	var out []faults.Spec
	for _, sp := range specs {
		if OnFaultProxy(sp, kube) {
			out = append(out, sp)
		}
	}
	return out
}

// writeObjects writes objs to w as YAML documents.
func writeObjects(w io.Writer, objs []client.Object) error {
	for i, obj := range objs {
		b, err := manifestYAML(obj)
		if err != nil {
			return err
		}
		if i > 0 {
			b = append([]byte("---\n"), b...)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// planned is one fault translated, with its schedule.
type planned struct {
	spec    faults.Spec
	chaos   *Chaos
	windows []record.Window
}

func plan(kube *service.Kubernetes, p ExportPlan) ([]planned, error) {
	var out []planned
	var errs []string
	for _, sp := range p.Faults {
		if OnFaultProxy(sp, kube) {
			continue // no object: the harness sets it on the fault proxy (ProxyFaults)
		}
		ch, err := Translate(sp, kube)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, planned{spec: sp, chaos: ch, windows: faults.Schedule(p.Seed, sp, p.FaultPhase)})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

func manifests(kube *service.Kubernetes, p ExportPlan) ([]client.Object, error) {
	pl, err := plan(kube, p)
	if err != nil {
		return nil, err
	}
	var out []client.Object
	for _, f := range pl {
		for k, w := range f.windows {
			if !w.Open {
				continue
			}
			obj := f.chaos.New((w.End - w.Start).D())
			obj.SetNamespace(f.chaos.Namespace)
			obj.SetName(exportName(p.Scenario, f.spec.Base().Name, fmt.Sprintf("w%d", k)))
			obj.SetLabels(map[string]string{LabelManagedBy: ManagedBy, LabelFault: labelValue(f.spec.Base().Name)})
			ann := map[string]string{AnnotationScenario: p.Scenario, AnnotationFault: f.spec.Base().Name,
				AnnotationOffset: (p.FaultStart + w.Start.D()).String()}
			if f.chaos.Approximated != "" {
				ann[AnnotationApproximated] = f.chaos.Approximated
			}
			obj.SetAnnotations(ann)
			out = append(out, obj)
		}
	}
	return out, nil
}

// workflow is one Workflow: a Parallel entry with a Serial branch per fault, whose steps are
// Suspends (the time before a window) and the fault's chaos (the window).
func workflow(kube *service.Kubernetes, p ExportPlan) (*v1alpha1.Workflow, error) {
	pl, err := plan(kube, p)
	if err != nil {
		return nil, err
	}
	if len(pl) == 0 {
		return nil, fmt.Errorf("no fault of scenario %s is a Chaos Mesh object (it has %d on the fault proxy, which shakedown run sets): nothing for a workflow", p.Scenario, len(ProxyFaults(kube, p.Faults)))
	}
	wf := &v1alpha1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: exportName(p.Scenario, "", ""),
		Labels:      map[string]string{LabelManagedBy: ManagedBy},
		Annotations: map[string]string{AnnotationScenario: p.Scenario}}}
	wf.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("Workflow"))
	namespaces := map[string]bool{}
	entry := v1alpha1.Template{Name: "entry", Type: v1alpha1.TypeParallel}
	var approximated []string
	for _, f := range pl {
		namespaces[f.chaos.Namespace] = true
		name := exportName(f.spec.Base().Name) // the fault's branch of the workflow
		branch := v1alpha1.Template{Name: name, Type: v1alpha1.TypeSerial}
		at := -p.FaultStart
		for k, w := range f.windows {
			if !w.Open {
				continue
			}
			if gap := w.Start.D() - at; gap > 0 {
				branch.Children = append(branch.Children, fmt.Sprintf("%s-wait-%d", name, k))
				wf.Spec.Templates = append(wf.Spec.Templates, v1alpha1.Template{Name: fmt.Sprintf("%s-wait-%d", name, k), Type: v1alpha1.TypeSuspend, Deadline: ptr(gap.String())})
			}
			step, err := chaosTemplate(f.chaos, fmt.Sprintf("%s-w%d", name, k), (w.End - w.Start).D())
			if err != nil {
				return nil, err
			}
			branch.Children = append(branch.Children, step.Name)
			wf.Spec.Templates = append(wf.Spec.Templates, step)
			at = w.End.D()
		}
		if len(branch.Children) == 0 {
			continue // the seed opens none of its windows
		}
		if f.chaos.Approximated != "" {
			approximated = append(approximated, f.spec.Base().Name+": "+f.chaos.Approximated)
		}
		entry.Children = append(entry.Children, name)
		wf.Spec.Templates = append(wf.Spec.Templates, branch)
	}
	wf.Spec.Entry = entry.Name
	wf.Spec.Templates = append([]v1alpha1.Template{entry}, wf.Spec.Templates...)
	if len(namespaces) > 1 {
		return nil, fmt.Errorf("the workflow form runs in one namespace, and the faults' targets are in %d: export manifests instead", len(namespaces))
	}
	for ns := range namespaces {
		wf.Namespace = ns
	}
	if len(approximated) > 0 {
		wf.Annotations[AnnotationApproximated] = strings.Join(approximated, "; ")
	}
	return wf, nil
}

// chaosTemplate is a workflow step that runs the chaos for d: its spec embedded by kind.
func chaosTemplate(ch *Chaos, name string, d time.Duration) (v1alpha1.Template, error) {
	obj := ch.New(d)
	t := v1alpha1.Template{Name: name, Type: v1alpha1.TemplateType(ch.Kind), Deadline: ptr(d.String()), EmbedChaos: &v1alpha1.EmbedChaos{}}
	switch o := obj.(type) {
	case *v1alpha1.NetworkChaos:
		t.EmbedChaos.NetworkChaos = &o.Spec
	case *v1alpha1.PodChaos:
		t.EmbedChaos.PodChaos = &o.Spec
	case *v1alpha1.StressChaos:
		t.EmbedChaos.StressChaos = &o.Spec
	case *v1alpha1.HTTPChaos:
		t.EmbedChaos.HTTPChaos = &o.Spec
	default:
		return t, fmt.Errorf("no workflow step for %T", obj)
	}
	return t, nil
}

// scheduleOf wraps a workflow in a Schedule that runs it on cron; a run still going when the
// next is due is not doubled.
func scheduleOf(wf *v1alpha1.Workflow, cron string) *v1alpha1.Schedule {
	s := &v1alpha1.Schedule{ObjectMeta: metav1.ObjectMeta{Name: wf.Name, Namespace: wf.Namespace, Labels: wf.Labels, Annotations: wf.Annotations},
		Spec: v1alpha1.ScheduleSpec{Schedule: cron, ConcurrencyPolicy: v1alpha1.ForbidConcurrent, HistoryLimit: 7, Type: v1alpha1.ScheduleTypeWorkflow,
			ScheduleItem: v1alpha1.ScheduleItem{Workflow: &wf.Spec}}}
	s.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("Schedule"))
	return s
}

// manifestYAML is obj as a manifest: no status, no empty creation time.
func manifestYAML(obj client.Object) ([]byte, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return yaml.Marshal(m)
}

// exportName is an exported object's name: the scenario's, the fault's and the window's, as a
// DNS subdomain of at most 63 characters.
func exportName(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.Trim(nonName.ReplaceAllString(strings.ToLower(p), "-"), "-"); p != "" {
			keep = append(keep, p)
		}
	}
	s := strings.Join(keep, "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

func ptr[T any](v T) *T { return &v }
