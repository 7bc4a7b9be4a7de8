package catalogue

// pathEntries are the findings about the path to a member (DESIGN.md §9):
// SOCKS5 proxies, SSH bastions, proxies of the environment, and every
// address of a name.
var pathEntries = []Entry{}
