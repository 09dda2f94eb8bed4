"""Reading the machine a shared object was built for from its ELF header (e_machine, offset 18)."""

from __future__ import annotations

EM_X86_64 = 62
EM_AARCH64 = 183


def elf_machine(data: bytes) -> int | None:
    """e_machine of an ELF file, None when the bytes are not ELF."""
    if len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    return int.from_bytes(data[18:20], "little" if data[5] == 1 else "big")
