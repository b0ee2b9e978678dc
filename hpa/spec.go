package hpa

import (
	"fmt"
	"math"
	"time"
)

// DefaultDownscaleStabilizationWindow is the controller's default
// --horizontal-pod-autoscaler-downscale-stabilization window.
const DefaultDownscaleStabilizationWindow = 5 * time.Minute

// Spec is the part of a HorizontalPodAutoscaler that decides replica counts,
// with the two controller flags that shape it.
type Spec struct {
	// MinReplicas is the lowest count the calculator returns. It may be 0,
	// as with the HPAScaleToZero feature. KEDA handles zero itself and
	// passes at least 1.
	MinReplicas int32 `json:"minReplicas"`
	// MaxReplicas is the highest count the calculator returns, at least 1
	// and at least MinReplicas.
	MaxReplicas int32 `json:"maxReplicas"`
	// Tolerance is the controller's --horizontal-pod-autoscaler-tolerance
	// for both directions. Nil means DefaultTolerance. Behavior can replace
	// it per direction.
	Tolerance *float64 `json:"-"`
	// DownscaleStabilizationWindow is the controller's
	// --horizontal-pod-autoscaler-downscale-stabilization: the window
	// without Behavior, and the default of
	// behavior.scaleDown.stabilizationWindowSeconds. Nil means
	// DefaultDownscaleStabilizationWindow, and 0 turns it off.
	DownscaleStabilizationWindow *time.Duration `json:"-"`
	// Behavior, when set, replaces the legacy downscale window and
	// scale-up limit with stabilization windows and policies.
	Behavior *Behavior `json:"behavior,omitempty"`
}

// Validate reports the first field of s that the HPA would reject, as a
// *FieldError.
func (s Spec) Validate() error {
	switch {
	case s.MinReplicas < 0:
		return &FieldError{Field: "minReplicas", Value: s.MinReplicas, Detail: "is negative; use 1 or more, or 0 to allow scaling to zero"}
	case s.MaxReplicas < 1:
		return &FieldError{Field: "maxReplicas", Value: s.MaxReplicas, Detail: "is below 1; allow at least one replica"}
	case s.MaxReplicas < s.MinReplicas:
		return &FieldError{Field: "maxReplicas", Value: s.MaxReplicas,
			Detail: fmt.Sprintf("is below minReplicas %d; raise maxReplicas or lower minReplicas", s.MinReplicas)}
	}
	if t := s.Tolerance; t != nil && (*t < 0 || math.IsNaN(*t) || math.IsInf(*t, 0)) {
		return &FieldError{Field: "tolerance", Value: *t, Detail: fmt.Sprintf("is invalid; use a finite value of 0 or more, such as %v", DefaultTolerance)}
	}
	if w := s.DownscaleStabilizationWindow; w != nil && (*w < 0 || *w > maxWindowSeconds*time.Second) {
		return &FieldError{Field: "downscaleStabilizationWindow", Value: *w, Detail: "must be between 0 and 1h; use 0 to turn it off"}
	}
	if s.Behavior != nil {
		return s.Behavior.validate()
	}
	return nil
}

func (s Spec) tolerance() float64 {
	if s.Tolerance == nil {
		return DefaultTolerance
	}
	return *s.Tolerance
}

func (s Spec) downscaleWindow() time.Duration {
	if s.DownscaleStabilizationWindow == nil {
		return DefaultDownscaleStabilizationWindow
	}
	return *s.DownscaleStabilizationWindow
}
