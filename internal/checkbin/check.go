package main

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// releaseName is the name `make release` gives a binary.
var releaseName = regexp.MustCompile(`^mongoconn-(linux|darwin|windows)-(amd64|arm64)(\.exe)?$`)

// NotStaticError says an ELF binary needs a dynamic loader or libraries.
type NotStaticError struct {
	Interpreter string   // PT_INTERP, "" when absent
	Libraries   []string // DT_NEEDED entries
}

func (e *NotStaticError) Error() string {
	var why []string
	if e.Interpreter != "" {
		why = append(why, "program interpreter "+e.Interpreter)
	}
	if len(e.Libraries) > 0 {
		why = append(why, "shared libraries "+strings.Join(e.Libraries, ", "))
	}
	return "dynamically linked (" + strings.Join(why, "; ") + "): build with CGO_ENABLED=0"
}

// PlatformError says a binary is not built for the platform its name
// says.
type PlatformError struct {
	Want, Got string // GOOS/GOARCH
}

func (e *PlatformError) Error() string {
	return fmt.Sprintf("named for %s but built for %s", e.Want, e.Got)
}

// Check inspects one file and describes it ("static linux/amd64
// executable"), or says what is wrong with it.
func Check(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return "", fmt.Errorf("reading the header: %w", err)
	}
	var platform, desc string
	switch {
	case string(magic[:]) == elf.ELFMAG:
		ef, err := elf.NewFile(f)
		if err != nil {
			return "", err
		}
		defer ef.Close()
		platform = "linux/" + elfArch(ef.Machine)
		if err := elfStatic(ef); err != nil {
			return "", err
		}
		desc = "static " + platform + " executable"
	case magic[0] == 'M' && magic[1] == 'Z':
		pf, err := pe.NewFile(f)
		if err != nil {
			return "", err
		}
		defer pf.Close()
		platform = "windows/" + peArch(pf.Machine)
		desc = platform + " executable"
	default:
		mf, err := macho.NewFile(f)
		if err != nil {
			return "", errors.New("not an ELF, PE or Mach-O executable")
		}
		defer mf.Close()
		platform = "darwin/" + machoArch(mf.Cpu)
		desc = platform + " executable"
	}
	if m := releaseName.FindStringSubmatch(filepath.Base(path)); m != nil {
		want := m[1] + "/" + m[2]
		if want != platform || (m[1] == "windows") != (m[3] == ".exe") {
			return "", &PlatformError{Want: want, Got: platform}
		}
	}
	return desc, nil
}

// elfStatic fails when the file asks for a dynamic loader or libraries.
func elfStatic(ef *elf.File) error {
	e := &NotStaticError{}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, min(p.Filesz, 4096))
		n, _ := p.ReadAt(b, 0)
		e.Interpreter = strings.TrimRight(string(b[:n]), "\x00")
		if e.Interpreter == "" {
			e.Interpreter = "(unnamed)"
		}
	}
	if libs, err := ef.ImportedLibraries(); err == nil {
		e.Libraries = libs
	}
	if e.Interpreter != "" || len(e.Libraries) > 0 {
		return e
	}
	return nil
}

func elfArch(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	}
	return m.String()
}

func peArch(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	}
	return fmt.Sprintf("machine-0x%x", m)
}

func machoArch(c macho.Cpu) string {
	switch c {
	case macho.CpuAmd64:
		return "amd64"
	case macho.CpuArm64:
		return "arm64"
	}
	return c.String()
}
