// Package fuzz holds the fuzz targets of the diagnose engine, apart from
// the engine's own tests. Those start FerretDB (internal/mongotest/ferret),
// and a fuzzing build instruments every package its test binary links:
// here, the targets link the engine and the fake-server fixtures only.
// The package has no code of its own; it imports diagnose, its
// sub-packages and the packages below them, and nothing that imports
// them.
package fuzz
