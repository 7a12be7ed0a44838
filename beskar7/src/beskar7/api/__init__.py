"""The beskar7 API: kinds, typed models, validation and generated CRDs."""
