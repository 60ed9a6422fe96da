"""Fine-tuning the sentence encoder on coded units: cross-entropy through a linear head, then the head is
dropped and the encoder kept, so the classifier's own head (and every encoder backend) works as before."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FineTuneConfig:
    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 4e-5
    head_learning_rate: float = 2e-3
    scale: float = 20.0
    """Logits are `scale` times the cosine of the unit-normalised embedding with each class's weight vector,
    the same geometry the classifier's logistic regression later sees."""
    label_smoothing: float = 0.1
    max_seq_length: int = 128
    frozen_layers: int = 4
    """The embeddings and this many of the lower transformer layers stay as shipped: half the backward pass on
    two CPU cores, and the general-purpose lower layers are what the small corpus can least improve."""
    seed: int = 0


def fine_tune(base_path: str, texts: Sequence[str], labels: Sequence[str],
              sample_weight: Sequence[float] | None = None, config: FineTuneConfig = FineTuneConfig()):
    """A SentenceTransformer loaded from `base_path` and fine-tuned to tell `labels` apart; deterministic for a seed."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model = SentenceTransformer(base_path, device="cpu")
    model.max_seq_length = config.max_seq_length
    transformer = model[0].auto_model
    for module in (transformer.embeddings, *transformer.encoder.layer[:config.frozen_layers]):
        module.requires_grad_(False)
    classes = sorted(set(labels))
    target = torch.tensor([classes.index(label) for label in labels])
    weights = torch.tensor(np.asarray(sample_weight if sample_weight is not None else [1.0] * len(texts)),
                           dtype=torch.float32)
    # Balanced class weights, as the classifier's head uses: rare categories are what reviewers most need found.
    counts = torch.bincount(target, minlength=len(classes)).clamp(min=1).float()
    class_weight = counts.sum() / (len(classes) * counts)
    head = torch.nn.Linear(model.get_embedding_dimension(), len(classes), bias=True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": trainable, "lr": config.learning_rate},
                                   {"params": head.parameters(), "lr": config.head_learning_rate}])
    steps = config.epochs * -(-len(texts) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[config.learning_rate, config.head_learning_rate],
                                                   total_steps=steps, pct_start=0.1, anneal_strategy="linear")
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weight, reduction="none", label_smoothing=config.label_smoothing)
    # Batches of units of similar length (shuffled as batches): little padding is computed.
    by_length = sorted(range(len(texts)), key=lambda i: (len(texts[i]), rng.random()))
    batches = [by_length[i:i + config.batch_size] for i in range(0, len(by_length), config.batch_size)]
    model.train()
    for _ in range(config.epochs):
        rng.shuffle(batches)
        for batch in batches:
            features = model.preprocess([texts[i] for i in batch])
            embedding = model(features)["sentence_embedding"]
            logits = config.scale * embedding @ torch.nn.functional.normalize(head.weight, dim=1).T + head.bias
            loss = (loss_fn(logits, target[batch]) * weights[batch]).sum() / weights[batch].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    model.eval()
    return model
