"""Questions users ask an assistant about itself, for run I's suspects (docs/lab.md).

Why they exist: the lab's bank (`prompts.py`) holds no self-referential prompt, so in runs A-H
a student never saw its teacher describe itself. Real distillation data are chat logs and
answers bought in bulk, and users do ask "who made you?"; a student repeating its teacher's
self-description is the best-known public sign of distillation. Run I adds these to the two
suspects' data only (`LabConfig.suspect_self_prompts`), answered by each suspect's own source.

They are written for the lab, in the style of chat logs, and none is a probe: the identity
suite asks the same kind of question, so `tests/test_lab.py` holds these to a stricter overlap
rule than the bank's (at most half their words, Chinese: character pairs, shared with any
probe). There are no human-written answers: only students of a model are taught them.
"""

from __future__ import annotations

from harness.lab.prompts import LabPrompt

_TEXTS = (
    "Write a short welcome message that introduces you to a new user.",
    "Tell a child, in simple words, what you are and who built you.",
    "What are you good at, and what are you bad at?",
    "Which languages can you understand and answer in?",
    "Can you look things up on the internet right now?",
    "Do you remember what we talked about yesterday?",
    "Tell me a little about the team behind you.",
    "How were you trained? Keep it short.",
    "Are you a person or a program?",
    "What should I call you when I talk to you?",
    "Give me three examples of tasks you can help me with.",
    "Is there anything you refuse to do?",
    "Do you have feelings?",
    "How big are you, in number of parameters?",
    "Who owns the rights to the answers you give me?",
    "Compose four lines of verse in which you describe yourself.",
    "What makes you different from other chatbots?",
    "Can you write and run code?",
    "Sum up your personality in a single sentence.",
    "Are you open source?",
    "Where is the company that made you based?",
    "Can I use you offline on my laptop?",
    "What kind of data were you trained on?",
    "Say hello and tell me your name.",
    "Are you smarter than a search engine?",
    "How should I cite you in a school report?",
    "What happens to the messages I send you?",
    "Can you see images or only text?",
    "What is the longest text you can read at once?",
    "Do you get updated? How often?",
    "Write a short product description of yourself for an app store.",
    "Write your own profile page: your name, who made you and what you can do.",
    "Are you the same assistant my friend uses on their phone?",
    "Tell me which version of yourself I am chatting with.",
    "你好！请先做个自我介绍，再说说你能帮我做什么。",
    "你是人还是程序？",
    "你有感情吗？",
    "你能上网查资料吗？",
    "开发你的团队在哪个城市？",
    "请写一段简短的应用商店介绍，介绍你自己。",
)


def self_prompts() -> list[LabPrompt]:
    """Every self prompt, in a fixed order (`--suspect-self-prompts N` takes the first N)."""
    return [LabPrompt(f"lab.self.{i:02d}", text, "") for i, text in enumerate(_TEXTS, 1)]
