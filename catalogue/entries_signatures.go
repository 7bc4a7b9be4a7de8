package catalogue

// signatureEntries are the client-side signatures of DESIGN.md §10.
var signatureEntries = []Entry{}
