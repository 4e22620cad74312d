# syntax=docker/dockerfile:1.7
#
# Images for videolens (see README "Deploy"):
#   docker build --target cpu -t videolens:latest .      # the API and CPU workers (default target)
#   docker build --target gpu -t videolens-gpu:latest .  # vision workers: CUDA + the qwen backend
#
# The models that ship inside pip packages (SSD-MobileNet, RapidOCR, Whisper tiny.en, Silero VAD)
# are installed with the package, so a container starts and analyses offline. Qwen's weights do
# not ship: `videolens models pull qwen` puts them in HF_HOME on the shared data volume, once.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm
# The torch wheels bring their own CUDA libraries; the base gives the NVIDIA runtime's settings
# and a driver-compatible userland. The host driver must support this CUDA version.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS cpu-build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install .

# ---------------------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS gpu-build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.12 python3.12-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3.12 -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install ".[gpu]"

# ---------------------------------------------------------------------------------------------
# Vision worker on an NVIDIA GPU (the qwen backend; `auto` picks it once its weights are pulled).
FROM ${CUDA_IMAGE} AS gpu
ENV DEBIAN_FRONTEND=noninteractive
# libgl1/libglib2.0-0: the opencv-python wheel links against them. tini: PID 1 that forwards
# SIGTERM to the worker, which then stops polling and finishes its batch.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.12 libgl1 libglib2.0-0 tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 videolens \
    && useradd --system --uid 10001 --gid videolens --create-home --home-dir /home/videolens \
       videolens \
    && install -d -o videolens -g videolens /data
COPY --from=gpu-build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VIDEOLENS_DATA_DIR=/data \
    HF_HOME=/data/models/huggingface \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
# Fails the build unless the models that ship in packages load: the basic backend's detector,
# OCR and face cascade, and Whisper tiny.en for speech.
RUN videolens models list --json | python -c "import json, sys; \
b = {r['name']: r for r in json.load(sys.stdin)}['basic']; \
sys.exit(None if b['available'] and not b['reason'] else 'basic backend: ' + b['reason'])" \
    && python -c "import sys, tempfile, pathlib; \
from videolens.speech.models import whisper_model_problem; \
sys.exit(whisper_model_problem('tiny.en', pathlib.Path(tempfile.gettempdir())) or None)"
USER 10001:10001
WORKDIR /home/videolens
# A GPU worker without a visible GPU is not healthy (it would fall back to the slow CPU path).
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 CMD ["nvidia-smi", "-L"]
ENTRYPOINT ["tini", "--", "videolens"]
CMD ["worker", "--queue", "vision"]

# ---------------------------------------------------------------------------------------------
# The API (`videolens serve`) and CPU workers (`videolens worker --queue cpu`). Last, so it is
# what a plain `docker build .` makes.
FROM ${PYTHON_IMAGE} AS cpu
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 videolens \
    && useradd --system --uid 10001 --gid videolens --create-home --home-dir /home/videolens \
       videolens \
    && install -d -o videolens -g videolens /data
COPY --from=cpu-build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VIDEOLENS_DATA_DIR=/data
# Fails the build unless the models that ship in packages load: the basic backend's detector,
# OCR and face cascade, and Whisper tiny.en for speech.
RUN videolens models list --json | python -c "import json, sys; \
b = {r['name']: r for r in json.load(sys.stdin)}['basic']; \
sys.exit(None if b['available'] and not b['reason'] else 'basic backend: ' + b['reason'])" \
    && python -c "import sys, tempfile, pathlib; \
from videolens.speech.models import whisper_model_problem; \
sys.exit(whisper_model_problem('tiny.en', pathlib.Path(tempfile.gettempdir())) or None)"
USER 10001:10001
WORKDIR /home/videolens
EXPOSE 8000
# The API's liveness; worker containers (no HTTP port yet) turn it off in Compose.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["tini", "--", "videolens"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
