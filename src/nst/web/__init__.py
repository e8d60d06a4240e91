"""``nst web``: the three methods of nst in the browser (Gradio), with live progress.

Modules: :mod:`.options` (the server's options, declared once, no heavy
imports), :mod:`.controls` (Gradio controls generated from the options
dataclasses' declarations, and the values built back), :mod:`.jobs` (the runs
themselves, without Gradio: checked uploads, results written as PNG files with
nst's metadata, the equivalent command line), :mod:`.app` (the page, its queue
and its API endpoints ``/fast``, ``/transfer``, ``/apply``, ``/stop``).

Importing this package imports nothing heavy; :mod:`.app` needs the extra
``nst[web]`` (Gradio).
"""
