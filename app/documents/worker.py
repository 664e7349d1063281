"""The render worker process: ``python -m app.documents.worker <memory_mb>``.

Started by :class:`app.documents.render.RenderWorker`. It caps its own
address space, imports WeasyPrint once and renders ``pdfs/_base/warmup.html``
(every stylesheet, font face and image the documents use: the CJK font is the
slow part), says ``("ready", {...})`` on stdout, then renders each HTML
document it receives on stdin and answers on stdout, until stdin closes.
"""

import gc
import logging
import os
import resource
import sys
import time
from multiprocessing.connection import Connection


def main() -> None:
    """Serve render requests until the parent goes away."""
    memory_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    # Keep the protocol on its own descriptor; anything printed goes to stderr.
    protocol_out = os.dup(1)
    os.dup2(2, 1)
    reader = Connection(0, writable=False)
    writer = Connection(protocol_out, readable=False)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    report = {"pid": os.getpid()}
    try:
        from app.documents.render import WARM_UP_PAGE, _write_pdf, weasyprint
        weasyprint()
        report["import_ms"] = round((time.perf_counter() - started) * 1000)
        # Load fonts, stylesheets and caches before the first real document.
        report["missing_glyphs"] = len(_write_pdf(WARM_UP_PAGE.read_text(encoding="utf-8"))[2])
    except MemoryError:
        return
    except Exception as exc:  # noqa: BLE001 - a real document will say what is wrong
        report["error"] = f"{type(exc).__name__}: {exc}"[:300]
    report["warm_ms"] = round((time.perf_counter() - started) * 1000)
    writer.send(("ready", report))
    # What is loaded now lives as long as the process: keep the collector off it.
    gc.collect()
    gc.freeze()
    while True:
        try:
            html = reader.recv_bytes().decode()
        except (EOFError, OSError):
            return
        # No collection in the middle of a layout (a render allocates heavily
        # and frees it all at the end); collect once the answer is sent.
        gc.disable()
        try:
            pdf, pages, missing = _write_pdf(html)
            writer.send(("ok", pdf, pages, missing))
        except MemoryError:
            writer.send(("memory", f"over {memory_mb} MB"))
            return  # a process that ran out of memory is not trusted further
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            writer.send(("failed", f"{type(exc).__name__}: {exc}"[:500]))
        finally:
            gc.enable()
            gc.collect()


if __name__ == "__main__":
    main()
