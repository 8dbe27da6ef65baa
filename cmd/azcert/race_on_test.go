//go:build race

package main

// raceBuild reports whether the tests were built with -race.
const raceBuild = true
