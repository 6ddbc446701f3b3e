"""Data for the tiny_qa lm-eval task: built in code, so the test never needs the hub."""

QUESTIONS = [
    ("What is the capital of France?", "Paris"),
    ("What colour is the sky on a clear day?", "Blue"),
    ("How many legs does a spider have?", "Eight"),
    ("What is the opposite of hot?", "Cold"),
]


def load(**_metadata):
    import datasets

    rows = [{"question": q, "answer": a} for q, a in QUESTIONS]
    return {"test": datasets.Dataset.from_list(rows)}


def process_results(doc, results):
    return {"contains_answer": float(doc["answer"].lower() in results[0].lower())}
