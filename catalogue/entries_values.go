package catalogue

// valueEntries are the findings about option values and this machine
// (DESIGN.md §4, after atlas.access-list): what the specification says of
// a value, what the linked driver does with the string, and local
// resources.
var valueEntries = []Entry{}
