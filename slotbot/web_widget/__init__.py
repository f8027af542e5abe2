"""The embeddable chat widget (widget.js) and the demo clinic page; static, no build step."""
