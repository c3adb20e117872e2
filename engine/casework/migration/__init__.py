"""Moving running cases to another version of their pathway: plan and preview (``plan``), batches that
run one transaction per case (``batch``), snapshots (``snapshots``) and revert (``revert``); what each
change says is in ``texts``. The workflow itself is moved by :mod:`engine.bpmn.migration`."""
