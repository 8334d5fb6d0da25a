// Package slo is the arithmetic of service level objectives: error budgets, burn rates, budget
// consumed and its alert levels, and the multi-window, multi-burn-rate alerts of the Google SRE
// workbook ("Alerting on SLOs"), scaled to any SLO period so that a ten-minute chaos run is judged
// by the same rules as a thirty-day month.
//
// An objective is a share of good events: available requests for an availability SLO, requests
// faster than a threshold for a latency SLO. Budgets are exact in decimal: the budget of 99.9% is
// 0.001, not 1-0.999 (which is 0.0010000000000000009 in floating point).
package slo
