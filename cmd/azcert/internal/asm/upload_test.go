package asm

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func uploadItems(n int) []uploadItem {
	items := make([]uploadItem, n)
	for i := range items {
		items[i] = uploadItem{name: fmt.Sprint(i)}
	}
	return items
}

// yielded collects what uploadAll yields: the names, and for a failure
// "name!".
func yielded(seq func(func(uploadOutcome) bool)) []string {
	var got []string
	for o := range seq {
		s := o.item.name
		if o.err != nil {
			s += "!"
		}
		got = append(got, s)
	}
	return got
}

// TestUploadAllOrder: uploads that finish last-first are yielded in the
// items' order.
func TestUploadAllOrder(t *testing.T) {
	const n = 6
	finished := make([]chan struct{}, n)
	for i := range finished {
		finished[i] = make(chan struct{})
	}
	got := yielded(uploadAll(uploadItems(n), n, func(it uploadItem) (UploadResult, error) {
		var i int
		fmt.Sscan(it.name, &i)
		if i < n-1 {
			<-finished[i+1] // each waits for the one after it
		}
		close(finished[i])
		return UploadResult{}, nil
	}))
	if want := []string{"0", "1", "2", "3", "4", "5"}; !slices.Equal(got, want) {
		t.Errorf("uploadAll yielded %v, want %v", got, want)
	}
}

// TestUploadAllStopsAfterFailure: one at a time, nothing starts after a
// failure, and the failure is the last outcome yielded. (With several at
// a time, which uploads are under way when one fails depends on timing;
// the end-to-end tests of azcert upload cover it.)
func TestUploadAllStopsAfterFailure(t *testing.T) {
	var started []string
	got := yielded(uploadAll(uploadItems(5), 1, func(it uploadItem) (UploadResult, error) {
		started = append(started, it.name)
		if it.name == "2" {
			return UploadResult{}, errors.New("refused")
		}
		return UploadResult{}, nil
	}))
	if want := []string{"0", "1", "2!"}; !slices.Equal(got, want) {
		t.Errorf("uploadAll yielded %v, want %v", got, want)
	}
	if want := []string{"0", "1", "2"}; !slices.Equal(started, want) {
		t.Errorf("uploads started: %v, want %v", started, want)
	}
}
