"""The lab's distillation prompt set, with a human-written answer for every prompt.

Why a separate prompt set: a student must be trained on data that is *not* the test, or the
detector would only be measuring memorised probe answers. These prompts are generated from
templates over a small topic bank written for the lab (general knowledge, arithmetic, word
tasks, small Python functions); none of them is a probe, and none asks a model about itself.

Why human answers: they are a training source that certainly owes nothing to any model, so a
student trained on them is an honest control. Each answer is composed from the topic bank's
fields (a definition, three facts, an example) or computed (arithmetic, word tasks), so the
text is the author's, not a model's.

Why two blocks: runs A-F trained on prefixes of the first 258 prompts, and their committed
corpora and recipes depend on every such prefix, so that block is frozen (ids, texts, answers
and order; `tests/test_lab.py` pins its hash). The bank grew later for larger distillations: the
second block (a second topic bank in `topics_more.py`, two more topic templates over both banks,
more arithmetic, conversions, word tasks and code) comes after it, shuffled on its own, so that
any longer prefix also mixes every kind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from harness.lab.topics_more import TOPICS_MORE

# name -> (definition, three facts, something interesting). Written for this lab.
TOPICS: dict[str, tuple[str, tuple[str, str, str], str]] = {
    "photosynthesis": (
        "Photosynthesis is how plants, algae and some bacteria turn light, water and carbon "
        "dioxide into sugar and oxygen.",
        (
            "It happens mainly in the chloroplasts of leaf cells.",
            "Chlorophyll absorbs red and blue light and reflects green.",
            "Almost all the oxygen in the air comes from it.",
        ),
        "A large tree can release enough oxygen in a year for a couple of people to breathe.",
    ),
    "the water cycle": (
        "The water cycle is the continuous movement of water between the sea, the air and the "
        "land.",
        (
            "The sun evaporates water from oceans and lakes.",
            "Vapour cools into clouds and falls as rain or snow.",
            "Rivers and groundwater carry it back to the sea.",
        ),
        "A water molecule can spend thousands of years in an ice sheet before moving on.",
    ),
    "volcanoes": (
        "A volcano is an opening in the Earth's crust where molten rock, ash and gas escape.",
        (
            "Most lie along the edges of tectonic plates.",
            "Molten rock is called magma underground and lava at the surface.",
            "Eruptions can cool the climate by filling the air with ash.",
        ),
        "The tallest volcano in the solar system, Olympus Mons, is on Mars.",
    ),
    "black holes": (
        "A black hole is a region of space where gravity is so strong that not even light can "
        "escape.",
        (
            "Many form when a very heavy star collapses.",
            "The boundary around one is called the event horizon.",
            "Most galaxies have a giant one at their centre.",
        ),
        "In 2019 astronomers published the first picture of a black hole's shadow.",
    ),
    "vaccines": (
        "A vaccine trains the immune system to recognise a germ without causing the disease.",
        (
            "Edward Jenner tested an early smallpox vaccine in 1796.",
            "Many vaccines need booster doses.",
            "Vaccination wiped smallpox out completely by 1980.",
        ),
        "The word comes from the Latin vacca, cow, because of cowpox.",
    ),
    "the printing press": (
        "The printing press is a machine that presses inked type onto paper, so many copies of "
        "a text can be made quickly.",
        (
            "Johannes Gutenberg built his around 1440.",
            "It used movable metal letters that could be rearranged.",
            "Books became far cheaper and literacy spread.",
        ),
        "Gutenberg's Bible is one of the most valuable books in the world.",
    ),
    "the Roman Empire": (
        "The Roman Empire was the state ruled from Rome that, at its height, surrounded the "
        "whole Mediterranean.",
        (
            "Augustus became its first emperor in 27 BC.",
            "It built roads, aqueducts and towns across Europe.",
            "The western half fell in 476 AD.",
        ),
        "The eastern half lasted as the Byzantine Empire until 1453.",
    ),
    "the Great Wall of China": (
        "The Great Wall of China is a chain of walls and forts built across northern China "
        "over many centuries.",
        (
            "Most of what stands today was built under the Ming dynasty.",
            "All its sections together run for thousands of kilometres.",
            "It was meant to keep out raiders from the north.",
        ),
        "Despite the legend, it is not visible to the naked eye from the Moon.",
    ),
    "the Industrial Revolution": (
        "The Industrial Revolution was the shift from hand work to machines and factories that "
        "began in Britain in the eighteenth century.",
        (
            "Steam engines powered mills and trains.",
            "Cities grew fast as people moved to work in factories.",
            "Child labour was common until laws limited it.",
        ),
        "The first public steam railway opened in England in 1825.",
    ),
    "democracy": (
        "Democracy is a system of government in which the people choose their rulers, usually "
        "by voting.",
        (
            "The word comes from Greek for rule by the people.",
            "Ancient Athens had an early direct form of it.",
            "Most modern democracies elect representatives.",
        ),
        "In Athens, many officials were picked by lot rather than by vote.",
    ),
    "inflation": (
        "Inflation is a general rise in prices, which means money buys less over time.",
        (
            "Central banks often aim for about two percent a year.",
            "It is usually measured with a basket of common goods.",
            "Very fast inflation is called hyperinflation.",
        ),
        "In 1946 Hungary's prices roughly tripled every day.",
    ),
    "supply and demand": (
        "Supply and demand is the idea that prices settle where the amount people want to buy "
        "matches the amount sellers offer.",
        (
            "When something is scarce, its price tends to rise.",
            "When prices rise, people usually buy less.",
            "Producers make more when they can sell at higher prices.",
        ),
        "Concert tickets resold for many times their face value show it at work.",
    ),
    "the internet": (
        "The internet is a worldwide network of computers that exchange data using shared "
        "rules called protocols.",
        (
            "It grew out of ARPANET, a US research network from 1969.",
            "Data travels in small pieces called packets.",
            "The web is one service that runs on it.",
        ),
        "Most intercontinental traffic runs through cables on the sea floor.",
    ),
    "encryption": (
        "Encryption scrambles information so that only someone with the right key can read it.",
        (
            "Websites use it to protect passwords and payments.",
            "Public-key systems use one key to lock and another to unlock.",
            "Julius Caesar used a simple letter-shifting cipher.",
        ),
        "Breaking the German Enigma cipher helped the Allies in the Second World War.",
    ),
    "machine learning": (
        "Machine learning is a way of building computer programs that improve by finding "
        "patterns in examples instead of following hand-written rules.",
        (
            "A model is trained on data and then tested on new data.",
            "Spam filters and recommendations often use it.",
            "Too little or biased data gives poor results.",
        ),
        "The term was popularised by Arthur Samuel, who wrote a checkers program in the 1950s.",
    ),
    "batteries": (
        "A battery stores chemical energy and releases it as electricity.",
        (
            "It has a positive end, a negative end and an electrolyte between.",
            "Lithium-ion batteries power most phones.",
            "Alessandro Volta built an early one in 1800.",
        ),
        "The unit volt is named after Volta.",
    ),
    "the human heart": (
        "The human heart is a muscle that pumps blood around the body.",
        (
            "It has four chambers.",
            "It beats around 100,000 times a day.",
            "The right side sends blood to the lungs, the left to the body.",
        ),
        "A heart can keep beating for a short time outside the body because it makes its own "
        "electrical signals.",
    ),
    "sleep": (
        "Sleep is a regular state of rest in which the body and brain recover.",
        (
            "Adults usually need seven to nine hours.",
            "Most dreams happen during REM sleep.",
            "Lack of sleep harms memory and mood.",
        ),
        "Some dolphins sleep with one half of the brain at a time.",
    ),
    "bees": (
        "Bees are flying insects that feed on nectar and pollen and pollinate many plants.",
        (
            "A honeybee colony has one queen.",
            "Worker bees communicate with a waggle dance.",
            "Many crops depend on them for pollination.",
        ),
        "A honeybee visits hundreds of flowers on a single trip.",
    ),
    "coral reefs": (
        "Coral reefs are underwater structures built by colonies of tiny animals called coral "
        "polyps.",
        (
            "They grow in warm, shallow, clear seas.",
            "They shelter about a quarter of all sea species.",
            "Warming water makes them bleach.",
        ),
        "The Great Barrier Reef can be seen from space.",
    ),
    "the Moon": (
        "The Moon is Earth's only natural satellite.",
        (
            "It is about a quarter of Earth's width.",
            "Its pull causes most of the ocean tides.",
            "Twelve astronauts walked on it between 1969 and 1972.",
        ),
        "It is moving away from Earth by a few centimetres each year.",
    ),
    "gravity": (
        "Gravity is the force by which things with mass attract each other.",
        (
            "It keeps the planets in orbit around the Sun.",
            "Isaac Newton described it mathematically in 1687.",
            "Einstein explained it as the bending of space and time.",
        ),
        "On the Moon you would weigh about one sixth of your weight on Earth.",
    ),
    "electricity": (
        "Electricity is the flow of electric charge, usually electrons moving through a wire.",
        (
            "Current is measured in amperes.",
            "Metals conduct it well, rubber does not.",
            "Most of it is generated by spinning turbines.",
        ),
        "Lightning is a giant natural spark of electricity.",
    ),
    "rainbows": (
        "A rainbow is an arc of colours that appears when sunlight is bent and reflected "
        "inside raindrops.",
        (
            "You see one with the sun behind you.",
            "Its colours run from red outside to violet inside.",
            "A second, fainter bow sometimes appears with the colours reversed.",
        ),
        "From an aeroplane a rainbow can look like a full circle.",
    ),
    "the Amazon rainforest": (
        "The Amazon rainforest is the largest tropical rainforest, covering much of northern "
        "South America.",
        (
            "Most of it lies in Brazil.",
            "It holds a huge share of the world's plant and animal species.",
            "The Amazon River carries more water than any other river.",
        ),
        "The forest makes much of its own rain by releasing water vapour from its leaves.",
    ),
    "deserts": (
        "A desert is a place that gets very little rain, usually less than 250 millimetres a year.",
        (
            "Not all deserts are hot; Antarctica counts as one.",
            "Plants there store water or have deep roots.",
            "The Sahara is the largest hot desert.",
        ),
        "Parts of the Atacama Desert went for years without measurable rain.",
    ),
    "chess": (
        "Chess is a board game for two players who each move sixteen pieces on a board of "
        "sixty-four squares.",
        (
            "The goal is to checkmate the other king.",
            "It came to Europe from Persia and India.",
            "A computer beat the world champion in 1997.",
        ),
        "There are more possible chess games than atoms in the observable universe.",
    ),
    "the Olympic Games": (
        "The Olympic Games are an international sports competition held every four years.",
        (
            "The ancient games began in Olympia, Greece.",
            "The modern games started in Athens in 1896.",
            "Summer and Winter Games now alternate every two years.",
        ),
        "Early modern Olympics gave medals for art as well as sport.",
    ),
    "jazz": (
        "Jazz is a style of music that grew from African American communities in New Orleans "
        "around 1900.",
        (
            "It relies heavily on improvisation.",
            "Swing rhythm gives it its feel.",
            "Louis Armstrong was one of its first stars.",
        ),
        "Many jazz standards began as songs from Broadway musicals.",
    ),
    "the violin": (
        "The violin is a small wooden string instrument played with a bow.",
        (
            "It has four strings tuned in fifths.",
            "It is the highest-pitched member of its family.",
            "Stradivari made famous violins in the 1700s.",
        ),
        "Some Stradivari violins have sold for more than fifteen million dollars.",
    ),
    "bread": (
        "Bread is a food made by baking a dough of flour and water, usually with yeast.",
        (
            "Yeast makes gas bubbles that make the dough rise.",
            "Flatbreads are made without rising.",
            "People have baked bread for at least fourteen thousand years.",
        ),
        "Sourdough uses wild yeast and bacteria instead of packaged yeast.",
    ),
    "coffee": (
        "Coffee is a drink made from the roasted seeds of the coffee plant.",
        (
            "It contains caffeine, which makes people feel alert.",
            "It probably comes from Ethiopia.",
            "Brazil grows more of it than any other country.",
        ),
        "A legend says a goat herder noticed his goats dancing after eating coffee berries.",
    ),
    "recycling": (
        "Recycling is turning used materials into new products instead of throwing them away.",
        (
            "Aluminium can be recycled again and again.",
            "Sorting waste makes recycling easier.",
            "It saves energy and raw materials.",
        ),
        "A recycled drinks can can be back on a shop shelf within about two months.",
    ),
    "compound interest": (
        "Compound interest is interest earned on both the original money and the interest "
        "already added.",
        (
            "Savings grow faster the longer they are left.",
            "Debts can grow the same way.",
            "The rule of 72 estimates how long money takes to double.",
        ),
        "At seven percent a year, money roughly doubles in about ten years.",
    ),
    "maps": (
        "A map is a drawing of an area that shows where places are in relation to each other.",
        (
            "The scale says how far a distance on the map is in real life.",
            "Every flat map stretches the round Earth somehow.",
            "Contour lines show height.",
        ),
        "On common world maps Greenland looks about as big as Africa, though it is far smaller.",
    ),
    "glaciers": (
        "A glacier is a large, slow-moving mass of ice formed from snow packed over many years.",
        (
            "They move under their own weight.",
            "They carve valleys into a U shape.",
            "Most of the world's fresh water is frozen in ice sheets and glaciers.",
        ),
        "Some glaciers move more than thirty metres in a single day.",
    ),
    "earthquakes": (
        "An earthquake is a sudden shaking of the ground caused by rocks slipping along a fault.",
        (
            "Most happen where tectonic plates meet.",
            "Their size is given on a magnitude scale.",
            "Under the sea they can cause tsunamis.",
        ),
        "Each step up on the magnitude scale means about thirty times more energy.",
    ),
    "the periodic table": (
        "The periodic table arranges the chemical elements by atomic number in rows and columns.",
        (
            "Dmitri Mendeleev published an early version in 1869.",
            "Elements in the same column behave alike.",
            "It now has 118 confirmed elements.",
        ),
        "Mendeleev left gaps for elements nobody had found yet, and predicted their properties.",
    ),
    "DNA": (
        "DNA is the molecule that carries the genetic instructions of living things.",
        (
            "It is shaped like a twisted ladder, a double helix.",
            "Its code uses four bases: A, C, G and T.",
            "Rosalind Franklin's X-ray images helped reveal its shape.",
        ),
        "Stretched out, the DNA in one human cell would be about two metres long.",
    ),
    "the Renaissance": (
        "The Renaissance was a period of renewed interest in art, science and classical "
        "learning in Europe, from about the fourteenth to the seventeenth century.",
        (
            "It began in Italian cities such as Florence.",
            "Leonardo da Vinci and Michelangelo worked then.",
            "Artists developed realistic perspective.",
        ),
        "Leonardo filled notebooks with mirror writing and designs for flying machines.",
    ),
}


@dataclass(frozen=True)
class LabPrompt:
    """One distillation prompt: a stable id, the user message and the human-written answer."""

    id: str
    text: str
    human: str
    # A second human-written answer in another style (a plain tutor's: full sentences, bullets,
    # a line of explanation), composed from the same fields; the `student-human-alt` control.
    alt: str = ""


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("'", "").split())


def _lower(sentence: str) -> str:
    """A sentence continued after a comma ("For example, it ..."), proper nouns kept."""
    first = sentence.split(" ", 1)[0]
    return sentence if first in _NAMES else sentence[0].lower() + sentence[1:]


# First words of topic facts that are names and keep their capital (both banks).
_NAMES = {
    "Edward", "Johannes", "Augustus", "Julius", "Alessandro", "Isaac", "Einstein", "Louis",
    "Stradivari", "Brazil", "Dmitri", "Rosalind", "Leonardo",
    "Marco", "Jean-François", "Edmund", "Gideon", "James", "Wimbledon", "Claude", "Bartolomeo",
    "Swan", "Ray", "QR", "Titan,", "Halley's", "Neil", "Michael", "Alexander", "Thomas", "Joseph",
    "LED", "Cai", "Orville", "Guglielmo", "Antonie", "Italians",
}  # fmt: skip


def _topic_prompts(topics: dict = TOPICS) -> list[LabPrompt]:
    """The five original templates over one topic bank."""
    out = []
    for name, (definition, facts, interesting) in topics.items():
        s = _slug(name)
        listed = "\n".join(f"{i}. {f}" for i, f in enumerate(facts, 1))
        out += [
            LabPrompt(
                f"lab.topic.{s}.what",
                f"What is {name}?",
                definition,
                f"In short: {definition}\n\nFor example, {_lower(facts[1])}",
            ),
            LabPrompt(
                f"lab.topic.{s}.facts",
                f"List three facts about {name}.",
                listed,
                "Here are three:\n" + "\n".join(f"- {f}" for f in reversed(facts)),
            ),
            LabPrompt(
                f"lab.topic.{s}.interesting",
                f"Tell me something interesting about {name}.",
                interesting,
                f"Did you know? {interesting} Also, {_lower(facts[2])}",
            ),
            LabPrompt(
                f"lab.topic.{s}.simple",
                f"Explain {name} in simple terms.",
                f"{definition} {facts[0]}",
                f"Think of it this way. {definition} Put simply, {_lower(facts[1])}",
            ),
            LabPrompt(
                f"lab.topic.{s}.paragraph",
                f"Write a short paragraph about {name}.",
                " ".join([definition, *facts]),
                " ".join([definition, facts[2], facts[1], facts[0], interesting]),
            ),
        ]
    return out


def _topic_prompts_more(topics: dict) -> list[LabPrompt]:
    """Two more templates, answerable from the same fields, over both banks."""
    out = []
    for name, (definition, facts, interesting) in topics.items():
        s = _slug(name)
        out += [
            LabPrompt(
                f"lab.topic.{s}.summary",
                f"Give me a quick summary of {name}.",
                " ".join([definition, facts[1], facts[2]]),
                f"In a nutshell: {definition}\n\nTwo points worth adding:\n- {facts[1]}\n"
                f"- {facts[2]}",
            ),
            LabPrompt(
                f"lab.topic.{s}.beginner",
                f"What should a beginner know about {name}?",
                definition + "\n" + "\n".join(f"- {f}" for f in facts),
                f"Start with the basic idea: {definition}\n\nIt also helps to know that "
                f"{_lower(facts[0])} A detail worth remembering: {interesting}",
            ),
        ]
    return out


def _arith_three(a: int, b: int) -> list[LabPrompt]:
    """Multiply, add and subtract one pair (b from a)."""
    return [
        LabPrompt(
            f"lab.math.{a}x{b}",
            f"What is {a} times {b}?",
            f"{a} × {b} = {a * b}.",
            f"The answer is {a * b}, because {a} multiplied by {b} gives {a * b}.",
        ),
        LabPrompt(
            f"lab.math.{a}p{b}",
            f"What is {a} plus {b}?",
            f"{a} + {b} = {a + b}.",
            f"The answer is {a + b}: adding {b} to {a} gives {a + b}.",
        ),
        LabPrompt(
            f"lab.math.{a}m{b}",
            f"Subtract {b} from {a}.",
            f"{a} − {b} = {a - b}.",
            f"Taking {b} away from {a} leaves {a - b}.",
        ),
    ]


_ARITH = [(17, 23), (48, 12), (125, 8), (36, 49), (91, 7), (250, 4), (63, 27), (19, 19)]


def _arith_prompts() -> list[LabPrompt]:
    out = []
    for a, b in _ARITH:
        out += _arith_three(a, b)
    for km in (5, 12, 42, 100):
        out.append(
            LabPrompt(
                f"lab.math.km{km}",
                f"How many miles is {km} kilometres?",
                f"{km} km is about {km * 0.621371:.1f} miles (1 km ≈ 0.621 miles).",
                f"Multiply by 0.621: {km} kilometres is roughly {km * 0.621371:.1f} miles.",
            )
        )
    for c in (0, 25, 37, 100):
        out.append(
            LabPrompt(
                f"lab.math.c{c}",
                f"Convert {c} degrees Celsius to Fahrenheit.",
                f"{c} °C = {c * 9 / 5 + 32:g} °F (multiply by 9/5, then add 32).",
                f"Use F = C × 1.8 + 32, so {c} degrees Celsius is {c * 9 / 5 + 32:g} degrees "
                "Fahrenheit.",
            )
        )
    return out


# Second block: (a, b) pairs (a > b), kilograms, centimetres, hours, (percent, of).
_ARITH_MORE = [
    (26, 14), (32, 15), (45, 11), (78, 9), (64, 25), (120, 35), (56, 44), (99, 3), (81, 17),
    (72, 48),
]  # fmt: skip
_KILOGRAMS = (2, 10, 25, 60, 80)
_CENTIMETRES = (10, 30, 50, 100, 180)
_HOURS = (3, 5, 8, 12, 24)
_PERCENTS = ((10, 250), (15, 80), (25, 64), (50, 38), (20, 45), (75, 120))


def _math_prompts_more() -> list[LabPrompt]:
    out = [p for a, b in _ARITH_MORE for p in _arith_three(a, b)]
    for kg in _KILOGRAMS:
        lb = f"{kg * 2.20462:.1f}"
        out.append(
            LabPrompt(
                f"lab.math.kg{kg}",
                f"How many pounds is {kg} kilograms?",
                f"{kg} kg is about {lb} pounds (1 kg ≈ 2.205 lb).",
                f"Multiply by 2.205: {kg} kilograms is roughly {lb} pounds.",
            )
        )
    for cm in _CENTIMETRES:
        inches = f"{cm / 2.54:.1f}"
        out.append(
            LabPrompt(
                f"lab.math.cm{cm}",
                f"How many inches is {cm} centimetres?",
                f"{cm} cm is about {inches} inches (1 inch = 2.54 cm).",
                f"Divide by 2.54: {cm} centimetres is roughly {inches} inches.",
            )
        )
    for h in _HOURS:
        out.append(
            LabPrompt(
                f"lab.math.h{h}",
                f"How many minutes are in {h} hours?",
                f"{h} hours = {h * 60} minutes.",
                f"There are 60 minutes in an hour, so {h} hours is {h} × 60 = {h * 60} minutes.",
            )
        )
    for pct, n in _PERCENTS:
        r = Fraction(pct * n, 100)
        assert r.denominator == 1, "percentages are chosen to give whole numbers"
        out.append(
            LabPrompt(
                f"lab.math.pct{pct}of{n}",
                f"What is {pct}% of {n}?",
                f"{pct}% of {n} = {r}.",
                f"The answer is {r}: {pct}% means {pct} out of every 100, so {n} × {pct} ÷ 100 "
                f"= {r}.",
            )
        )
    return out


_WORDS = [
    ("pear", "apple", "banana", "cherry"),
    ("river", "mountain", "lake", "forest"),
    ("violet", "red", "green", "blue"),
    ("Paris", "Oslo", "Lima", "Cairo"),
    ("tiger", "zebra", "otter", "camel"),
    ("copper", "iron", "gold", "silver"),
]


def _sort_reverse(i: int, words: tuple[str, ...]) -> list[LabPrompt]:
    """Sort a group alphabetically; spell its first word backwards."""
    in_order = sorted(words, key=str.lower)
    return [
        LabPrompt(
            f"lab.words.{i}.sort",
            f"Sort these words alphabetically: {', '.join(words)}.",
            ", ".join(in_order),
            "In alphabetical order:\n" + "\n".join(f"{j}. {w}" for j, w in enumerate(in_order, 1)),
        ),
        LabPrompt(
            f"lab.words.{i}.reverse",
            f"Spell the word '{words[0]}' backwards.",
            words[0][::-1],
            f"'{words[0]}' spelled backwards is '{words[0][::-1]}'.",
        ),
    ]


def _word_prompts() -> list[LabPrompt]:
    out = []
    for i, words in enumerate(_WORDS):
        out += [
            *_sort_reverse(i, words),
            LabPrompt(
                f"lab.words.{i}.sentence",
                f"Write one sentence that uses the words {words[1]} and {words[2]}.",
                f"We walked past the {words[1]} and talked about the {words[2]} all afternoon.",
                f"Here is one: my sister drew a {words[1]} next to a {words[2]}.",
            ),
        ]
    return out


# Second block: a group of four words (a unique longest one), then a sentence with its second
# and third words in each style (human, alt). Written for the lab.
_WORDS_MORE = [
    (
        ("carrot", "onion", "cabbage", "pea"),
        "She chopped an onion and half a cabbage for the soup.",
        "Here is one: the onion and the cabbage went into the same pot.",
    ),
    (
        ("flute", "piano", "trumpet", "harp"),
        "He played the piano while his brother practised the trumpet.",
        "Here is one: the piano sounded soft next to the loud trumpet.",
    ),
    (
        ("teacher", "baker", "pilot", "gardener"),
        "The baker sold a warm loaf to a pilot on her way to the airport.",
        "Here is one: my uncle was a baker before he trained as a pilot.",
    ),
    (
        ("spoon", "plate", "kettle", "cup"),
        "I put the plate down and switched on the kettle.",
        "Here is one: there was a clean plate beside the kettle.",
    ),
    (
        ("robin", "eagle", "pelican", "owl"),
        "An eagle circled high above a pelican resting on the pier.",
        "Here is one: we saw an eagle and a pelican at the coast.",
    ),
    (
        ("bicycle", "train", "ferry", "bus"),
        "We took the train to the coast and then the ferry to the island.",
        "Here is one: the train was late, so we nearly missed the ferry.",
    ),
    (
        ("kitten", "puppy", "foal", "calf"),
        "The puppy barked at the foal across the fence.",
        "Here is one: a puppy and a foal played in the same field.",
    ),
    (
        ("pencil", "notebook", "ruler", "eraser"),
        "She drew a straight line in her notebook with a ruler.",
        "Here is one: I keep a ruler tucked inside my notebook.",
    ),
]


def _word_prompts_more() -> list[LabPrompt]:
    out = []
    for i, (words, sentence, alt_sentence) in enumerate(_WORDS_MORE, start=len(_WORDS)):
        longest = max(words, key=len)
        assert [len(w) for w in words].count(len(longest)) == 1, f"{words}: no single longest"
        counted = words[2]
        out += [
            *_sort_reverse(i, words),
            LabPrompt(
                f"lab.words.{i}.sentence",
                f"Write one sentence that uses the words {words[1]} and {words[2]}.",
                sentence,
                alt_sentence,
            ),
            LabPrompt(
                f"lab.words.{i}.longest",
                f"Which of these words is the longest: {', '.join(words)}?",
                longest,
                f"The longest is '{longest}', with {len(longest)} letters.",
            ),
            LabPrompt(
                f"lab.words.{i}.letters",
                f"How many letters are in the word '{counted}'?",
                str(len(counted)),
                f"'{counted}' has {len(counted)} letters: {'-'.join(counted)}.",
            ),
        ]
    return out


# task -> (function name, body lines). Human-written reference implementations.
_CODE = {
    "returns the sum of a list of numbers": ("total", ["return sum(numbers)"]),
    "returns the largest number in a list": ("largest", ["return max(numbers)"]),
    "returns the average of a list of numbers": (
        "average",
        ["if not numbers:", "    return 0.0", "return sum(numbers) / len(numbers)"],
    ),
    "counts the even numbers in a list": (
        "count_even",
        ["return sum(1 for n in numbers if n % 2 == 0)"],
    ),
    "returns a list with duplicates removed, keeping order": (
        "unique",
        ["seen = set()", "return [n for n in numbers if not (n in seen or seen.add(n))]"],
    ),
    "returns the numbers in a list that are greater than ten": (
        "above_ten",
        ["return [n for n in numbers if n > 10]"],
    ),
    "returns the product of a list of numbers": (
        "product",
        ["result = 1", "for n in numbers:", "    result *= n", "return result"],
    ),
    "returns the list sorted from largest to smallest": (
        "descending",
        ["return sorted(numbers, reverse=True)"],
    ),
}


def _code_prompts() -> list[LabPrompt]:
    out = []
    for i, (task, (fn, body)) in enumerate(_CODE.items()):
        code = f"def {fn}(numbers):\n" + "\n".join("    " + line for line in body)
        out.append(
            LabPrompt(
                f"lab.code.{i}.{fn}",
                f"Write a Python function that {task}.",
                f"```python\n{code}\n```",
                f"Here is a short version:\n\n```python\n{code}\n```\n\nCall `{fn}` with a "
                "list, for example `" + fn + "([3, 12, 7])`.",
            )
        )
    return out


# Second block: human-written reference implementations over lists or strings, each with an
# example call and what it returns (checked by tests/test_lab.py).
_CODE_MORE = [
    {
        "task": "reverses a string",
        "def": "reverse_text(text)",
        "body": ["return text[::-1]"],
        "example": 'reverse_text("hello")',
        "returns": "'olleh'",
    },
    {
        "task": "counts the vowels in a string",
        "def": "count_vowels(text)",
        "body": ['return sum(1 for ch in text.lower() if ch in "aeiou")'],
        "example": 'count_vowels("Banana split")',
        "returns": "4",
    },
    {
        "task": "checks whether a word is a palindrome",
        "def": "is_palindrome(word)",
        "body": ["word = word.lower()", "return word == word[::-1]"],
        "example": 'is_palindrome("Level")',
        "returns": "True",
    },
    {
        "task": "returns the number of words in a sentence",
        "def": "word_count(sentence)",
        "body": ["return len(sentence.split())"],
        "example": 'word_count("the cat sat down")',
        "returns": "4",
    },
    {
        "task": "capitalises the first letter of every word in a string",
        "def": "capitalise_words(text)",
        "body": ['return " ".join(word[:1].upper() + word[1:] for word in text.split())'],
        "example": 'capitalise_words("good morning all")',
        "returns": "'Good Morning All'",
    },
    {
        "task": "removes all the spaces from a string",
        "def": "remove_spaces(text)",
        "body": ['return text.replace(" ", "")'],
        "example": 'remove_spaces("a b c")',
        "returns": "'abc'",
    },
    {
        "task": "returns the longest word in a sentence",
        "def": "longest_word(sentence)",
        "body": ["words = sentence.split()", 'return max(words, key=len) if words else ""'],
        "example": 'longest_word("a tiny elephant sat")',
        "returns": "'elephant'",
    },
    {
        "task": "counts how often each letter appears in a string",
        "def": "letter_counts(text)",
        "body": [
            "counts = {}",
            "for ch in text.lower():",
            "    if ch.isalpha():",
            "        counts[ch] = counts.get(ch, 0) + 1",
            "return counts",
        ],
        "example": 'letter_counts("Hello")',
        "returns": "{'h': 1, 'e': 1, 'l': 2, 'o': 1}",
    },
    {
        "task": "returns the smallest number in a list",
        "def": "smallest(numbers)",
        "body": ["return min(numbers)"],
        "example": "smallest([3, 12, 7])",
        "returns": "3",
    },
    {
        "task": "returns the difference between the largest and smallest numbers in a list",
        "def": "value_range(numbers)",
        "body": ["return max(numbers) - min(numbers)"],
        "example": "value_range([3, 12, 7])",
        "returns": "9",
    },
    {
        "task": "returns the square of every number in a list",
        "def": "squares(numbers)",
        "body": ["return [n * n for n in numbers]"],
        "example": "squares([1, 2, 3])",
        "returns": "[1, 4, 9]",
    },
    {
        "task": "returns only the odd numbers from a list",
        "def": "odd_numbers(numbers)",
        "body": ["return [n for n in numbers if n % 2 != 0]"],
        "example": "odd_numbers([1, 2, 3, 4, 5])",
        "returns": "[1, 3, 5]",
    },
    {
        "task": "counts how many times a value appears in a list",
        "def": "count_value(items, value)",
        "body": ["return sum(1 for item in items if item == value)"],
        "example": "count_value([1, 2, 2, 3], 2)",
        "returns": "2",
    },
    {
        "task": "returns the running totals of a list of numbers",
        "def": "running_totals(numbers)",
        "body": [
            "totals = []",
            "total = 0",
            "for n in numbers:",
            "    total += n",
            "    totals.append(total)",
            "return totals",
        ],
        "example": "running_totals([1, 2, 3])",
        "returns": "[1, 3, 6]",
    },
    {
        "task": "joins a list of words into one string with spaces between them",
        "def": "join_words(words)",
        "body": ['return " ".join(words)'],
        "example": 'join_words(["red", "green", "blue"])',
        "returns": "'red green blue'",
    },
    {
        "task": "returns the length of every word in a list",
        "def": "word_lengths(words)",
        "body": ["return [len(word) for word in words]"],
        "example": 'word_lengths(["sun", "river"])',
        "returns": "[3, 5]",
    },
]


def _code_prompts_more() -> list[LabPrompt]:
    out = []
    for i, c in enumerate(_CODE_MORE, start=len(_CODE)):
        fn = c["def"].split("(", 1)[0]
        code = f"def {c['def']}:\n" + "\n".join("    " + line for line in c["body"])
        out.append(
            LabPrompt(
                f"lab.code.{i}.{fn}",
                f"Write a Python function that {c['task']}.",
                f"```python\n{code}\n```",
                f"Here is a short version:\n\n```python\n{code}\n```\n\nFor example, "
                f"`{c['example']}` returns `{c['returns']}`.",
            )
        )
    return out


def lab_prompts() -> list[LabPrompt]:
    """Every lab prompt in a fixed order: the first block (258, frozen) then the second, each
    shuffled with its own seed, so that any prefix (`--prompts N`) mixes topics, templates,
    arithmetic, word tasks and code."""
    first = _topic_prompts() + _arith_prompts() + _word_prompts() + _code_prompts()
    random.Random(20240611).shuffle(first)
    second = (
        _topic_prompts(TOPICS_MORE)
        + _topic_prompts_more({**TOPICS, **TOPICS_MORE})
        + _math_prompts_more()
        + _word_prompts_more()
        + _code_prompts_more()
    )
    random.Random(20250302).shuffle(second)
    prompts = first + second
    ids = [p.id for p in prompts]
    assert len(ids) == len(set(ids)), "duplicate lab prompt id"
    return prompts
