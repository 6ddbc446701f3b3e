"""The second topic bank of the lab prompts (data only), written for the lab like `TOPICS`.

Why a separate module: the first bank (`prompts.TOPICS`) is frozen, because committed corpora
and recipes depend on every prefix of the first 258 prompts; these topics only feed the second
block of prompts, and keeping ~90 entries here leaves `prompts.py` readable.

Same shape as `TOPICS`: name -> (definition, three facts, something interesting). The second and
third facts are also used after "For example," / "Also," and the first after "it helps to know
that", lower-cased unless they start with a name in `prompts._NAMES`, so they are written to
read well there. Names are chosen to fit "What is X?" as well as the other templates.
"""

from __future__ import annotations

TOPICS_MORE: dict[str, tuple[str, tuple[str, str, str], str]] = {
    # Science
    "the atom": (
        "An atom is the smallest unit of a chemical element.",
        (
            "It has a tiny nucleus made of protons and neutrons.",
            "Electrons move around the nucleus.",
            "Atoms join together to make molecules.",
        ),
        "An atom is almost entirely empty space.",
    ),
    "magnetism": (
        "Magnetism is the force that lets magnets pull or push on certain metals, such as iron.",
        (
            "Every magnet has a north pole and a south pole.",
            "Opposite poles attract, and like poles push each other away.",
            "The Earth behaves like a giant magnet.",
        ),
        "A compass works because its needle is a small magnet that lines up with the Earth's "
        "magnetic field.",
    ),
    "sound": (
        "Sound is a vibration that travels as a wave through air, water or solids.",
        (
            "It cannot travel through empty space.",
            "In air it moves at about 343 metres per second.",
            "Its pitch depends on how fast the vibration is.",
        ),
        "Sound travels more than four times faster in water than in air.",
    ),
    "the speed of light": (
        "The speed of light is how fast light travels through empty space, about 300,000 "
        "kilometres per second.",
        (
            "Nothing with mass can reach it.",
            "Sunlight takes about eight minutes to reach the Earth.",
            "Light slows down when it passes through water or glass.",
        ),
        "In one second, light could travel around the Earth about seven times.",
    ),
    "friction": (
        "Friction is the force that resists when one surface slides over another.",
        (
            "Rough surfaces usually have more friction than smooth ones.",
            "It turns movement into heat.",
            "Without it, shoes would slip on every floor.",
        ),
        "Rubbing your hands together warms them because of friction.",
    ),
    "a fossil": (
        "A fossil is the preserved remains or trace of a living thing from long ago.",
        (
            "Most form when remains are buried in mud or sand that slowly turns to rock.",
            "Footprints and burrows can become fossils too.",
            "Scientists who study them are called palaeontologists.",
        ),
        "Some insects have been kept whole inside amber for millions of years.",
    ),
    "the cell": (
        "The cell is the smallest unit of life, the building block of every plant and animal.",
        (
            "Some living things are made of a single cell.",
            "The human body is made of trillions of cells.",
            "Plant cells have a stiff wall that animal cells do not.",
        ),
        "Robert Hooke named cells in 1665 after looking at thin slices of cork under a microscope.",
    ),
    "plate tectonics": (
        "Plate tectonics is the idea that the Earth's outer shell is split into huge plates "
        "that slowly move.",
        (
            "The plates move a few centimetres a year.",
            "Where plates push together, mountains can rise.",
            "Where plates pull apart, new crust forms.",
        ),
        "South America and Africa fit together like puzzle pieces because they were once joined.",
    ),
    "a thunderstorm": (
        "A thunderstorm is a storm with lightning and thunder, usually with heavy rain.",
        (
            "It grows from a tall cloud called a cumulonimbus.",
            "Thunder is the sound of air heated suddenly by lightning.",
            "Light arrives before sound, so you see the flash before you hear the thunder.",
        ),
        "Counting the seconds between flash and thunder and dividing by three gives the "
        "distance in kilometres.",
    ),
    "the pH scale": (
        "The pH scale measures how acidic or basic a liquid is, usually from 0 to 14.",
        (
            "Pure water sits at 7, which is neutral.",
            "Lemon juice and vinegar are acids, below 7.",
            "Soap and baking soda are bases, above 7.",
        ),
        "Each step on the scale means ten times more or less acidic.",
    ),
    "rust": (
        "Rust is the reddish-brown coating that forms when iron reacts with oxygen and water.",
        (
            "It is a form of iron oxide.",
            "Salt water makes it form faster.",
            "Paint and oil can protect iron from it.",
        ),
        "Mars looks red because its dust is rich in iron oxide.",
    ),
    # Nature
    "an octopus": (
        "An octopus is a soft-bodied sea animal with eight arms.",
        (
            "It has three hearts.",
            "It can change colour to hide.",
            "It squirts ink to escape from danger.",
        ),
        "Most of an octopus's nerve cells are in its arms rather than its head.",
    ),
    "the blue whale": (
        "The blue whale is the largest animal known to have ever lived.",
        (
            "It can grow to about 30 metres long.",
            "It feeds mostly on tiny shrimp-like animals called krill.",
            "Its calls can travel hundreds of kilometres underwater.",
        ),
        "Its tongue alone can weigh as much as an elephant.",
    ),
    "the emperor penguin": (
        "The emperor penguin is the tallest and heaviest penguin, a flightless bird of Antarctica.",
        (
            "It breeds on the sea ice during the Antarctic winter.",
            "It uses its wings as flippers to swim.",
            "It can dive deeper than 500 metres.",
        ),
        "The father keeps the egg warm on his feet for about two months.",
    ),
    "the elephant": (
        "The elephant is the largest land animal, with a long trunk and big ears.",
        (
            "There are African and Asian species.",
            "A trunk has tens of thousands of muscles.",
            "Elephants can live for about seventy years.",
        ),
        "Elephants can sense some sounds through their feet.",
    ),
    "the monarch butterfly": (
        "The monarch butterfly is an orange and black butterfly found mainly in North America.",
        (
            "It starts life as a caterpillar that eats only milkweed.",
            "Milkweed makes it taste bad to birds.",
            "It changes from caterpillar to adult inside a green chrysalis.",
        ),
        "Every autumn, monarchs fly thousands of kilometres from Canada and the United States "
        "to Mexico.",
    ),
    "bamboo": (
        "Bamboo is a giant grass with hollow, woody stems.",
        (
            "Some kinds grow close to a metre in a single day.",
            "Giant pandas eat almost nothing else.",
            "It is used for building, furniture and paper.",
        ),
        "Some kinds flower only once every few decades, all at the same time.",
    ),
    "the barn owl": (
        "The barn owl is a pale owl with a heart-shaped face, found on every continent except "
        "Antarctica.",
        (
            "It hunts mostly at night, finding its food by sound.",
            "Its soft feathers let it fly almost silently.",
            "One of its ears sits higher than the other, which helps it pinpoint sounds.",
        ),
        "Like other owls, it cannot move its eyes, so it turns its whole head instead.",
    ),
    "bird migration": (
        "Bird migration is the regular journey many birds make between their breeding and "
        "wintering places.",
        (
            "Many birds fly south for the winter and return in spring.",
            "They find their way using the sun, the stars and the Earth's magnetic field.",
            "Some fly in a V shape to save energy.",
        ),
        "The Arctic tern flies from the Arctic to the Antarctic and back every year.",
    ),
    "the coast redwood": (
        "The coast redwood is the tallest kind of tree on Earth, growing along the coast of "
        "California and Oregon.",
        (
            "The tallest one measured is more than 115 metres high.",
            "Some are more than two thousand years old.",
            "Thick bark helps them survive forest fires.",
        ),
        "Much of the water they need comes from fog caught by their needles.",
    ),
    # History
    "the Great Pyramid of Giza": (
        "The Great Pyramid of Giza is the largest of the pyramids built in ancient Egypt as "
        "royal tombs.",
        (
            "It was built for the pharaoh Khufu about 4,500 years ago.",
            "It was made from more than two million stone blocks.",
            "It was the tallest human-made structure for almost 4,000 years.",
        ),
        "It was once covered in smooth, polished white limestone.",
    ),
    "the Silk Road": (
        "The Silk Road was a network of trade routes linking China with Central Asia, the "
        "Middle East and Europe.",
        (
            "Silk, spices and paper travelled along it.",
            "Ideas and inventions spread along it too.",
            "Marco Polo's account of his travels made it famous in Europe.",
        ),
        "Few traders travelled the whole route; goods usually passed from hand to hand.",
    ),
    "Stonehenge": (
        "Stonehenge is a prehistoric ring of standing stones on Salisbury Plain in England.",
        (
            "It was built in stages from about 3000 BC.",
            "Some of its stones came from Wales, about 240 kilometres away.",
            "It lines up with the sunrise at midsummer.",
        ),
        "Its largest stones weigh more than twenty tonnes.",
    ),
    "the Rosetta Stone": (
        "The Rosetta Stone is a stone slab carved with the same text in three scripts.",
        (
            "It was found in Egypt in 1799.",
            "Its scripts are hieroglyphs, Demotic and ancient Greek.",
            "Jean-François Champollion used it to read hieroglyphs in 1822.",
        ),
        "It is in the British Museum, where it is one of the most visited objects.",
    ),
    "Machu Picchu": (
        "Machu Picchu is a fifteenth-century Inca town built high in the Andes of Peru.",
        (
            "It sits about 2,400 metres above sea level.",
            "Its stone walls fit together without mortar.",
            "It was little known to the outside world until 1911.",
        ),
        "Its builders fitted some stones so tightly that a knife blade cannot slide between them.",
    ),
    "the Library of Alexandria": (
        "The Library of Alexandria was one of the largest libraries of the ancient world, in "
        "Egypt.",
        (
            "It was founded in the third century BC.",
            "Scholars there copied and studied scrolls.",
            "It declined slowly over several centuries.",
        ),
        "Ships arriving in the port were reportedly searched for books to copy.",
    ),
    "the Bronze Age": (
        "The Bronze Age was the period when people made tools from bronze, a mix of copper and "
        "tin.",
        (
            "It began around 3300 BC in the Near East.",
            "Writing appeared during it in Mesopotamia and Egypt.",
            "It was followed by the Iron Age.",
        ),
        "Tin was rare, so it was traded over very long distances.",
    ),
    # Geography
    "Mount Everest": (
        "Mount Everest is the highest mountain above sea level, in the Himalayas.",
        (
            "Its summit is about 8,849 metres high.",
            "Edmund Hillary and Tenzing Norgay first reached the top in 1953.",
            "Climbers often need extra oxygen near the top because the air is so thin.",
        ),
        "It grows a few millimetres taller each year as the plates beneath it push together.",
    ),
    "the Nile": (
        "The Nile is a great river in north-east Africa that flows north into the "
        "Mediterranean Sea.",
        (
            "It is often named as the longest river in the world.",
            "Its two main branches are the White Nile and the Blue Nile.",
            "Ancient Egypt grew up along its banks.",
        ),
        "Its yearly floods once left rich soil on the fields along its banks.",
    ),
    "the Pacific Ocean": (
        "The Pacific Ocean is the largest and deepest ocean on Earth.",
        (
            "It covers about a third of the planet's surface.",
            "The Mariana Trench, its deepest point, is nearly 11 kilometres deep.",
            "Many volcanoes around its edge form the Ring of Fire.",
        ),
        "Ferdinand Magellan called it the peaceful sea because it was calm when he crossed it.",
    ),
    "Antarctica": (
        "Antarctica is the icy continent around the South Pole.",
        (
            "It is the coldest, windiest and driest continent.",
            "Its ice sheet holds most of the world's fresh water.",
            "No one lives there permanently, but scientists stay at research stations.",
        ),
        "The lowest temperature measured there was about minus 89 degrees Celsius.",
    ),
    "Iceland": (
        "Iceland is an island country in the North Atlantic, between Europe and North America.",
        (
            "It sits on the Mid-Atlantic Ridge, where two plates pull apart.",
            "It has many active volcanoes and hot springs.",
            "Almost all of its electricity comes from rivers and underground heat.",
        ),
        "Reykjavik, its capital, is the northernmost capital of an independent country.",
    ),
    "the Grand Canyon": (
        "The Grand Canyon is a deep, steep-sided valley carved by the Colorado River in Arizona.",
        (
            "It is about 446 kilometres long.",
            "In places it is more than 1.8 kilometres deep.",
            "Its rock layers record nearly two billion years of history.",
        ),
        "The bottom is often much hotter than the rim, so it is like having two climates.",
    ),
    "the Mediterranean Sea": (
        "The Mediterranean Sea lies between southern Europe, North Africa and western Asia.",
        (
            "It joins the Atlantic through the narrow Strait of Gibraltar.",
            "It has very small tides.",
            "Many ancient civilisations grew up on its shores.",
        ),
        "About six million years ago it almost dried out completely.",
    ),
    "Australia": (
        "Australia is a country that is also the smallest continent, between the Indian and "
        "Pacific Oceans.",
        (
            "Most people live near the coast.",
            "Kangaroos and koalas live nowhere else in the wild.",
            "The Great Barrier Reef lies off its north-east coast.",
        ),
        "It is wider from east to west than the Moon.",
    ),
    # Everyday life
    "the umbrella": (
        "An umbrella is a folding canopy on a stick that keeps off rain or sun.",
        (
            "Sunshades like it were used in ancient Egypt and China.",
            "A folding frame of thin ribs holds the cloth open.",
            "The word comes from the Latin umbra, meaning shade.",
        ),
        "Jonas Hanway was laughed at for carrying one in rainy London in the 1750s.",
    ),
    "the calendar": (
        "A calendar is a system for organising days into weeks, months and years.",
        (
            "Most of the world uses the Gregorian calendar, introduced in 1582.",
            "A year is about 365 and a quarter days, so leap years add a day.",
            "Months were first based on the Moon's cycle.",
        ),
        "When Britain changed calendars in 1752, eleven days were skipped.",
    ),
    "the bicycle": (
        "A bicycle is a two-wheeled vehicle powered by pedalling.",
        (
            "The first ones, in the 1810s, had no pedals; riders pushed with their feet.",
            "Air-filled tyres made riding much more comfortable from the late 1880s.",
            "Gears make it easier to climb hills.",
        ),
        "Cycling uses less energy per kilometre than walking.",
    ),
    "soap": (
        "Soap is a cleaning substance made from fats or oils and an alkali.",
        (
            "One end of a soap molecule sticks to water, the other to grease.",
            "That lets water wash away oil and dirt.",
            "People made soap in ancient Babylon.",
        ),
        "Soap bubbles show colours because light reflects from both sides of a very thin film.",
    ),
    "the zip": (
        "A zip is a fastener with two rows of teeth that lock together as a slider passes over "
        "them.",
        (
            "Gideon Sundback designed the modern version in 1913.",
            "It became common on clothes in the 1930s.",
            "The name zipper began as a brand name for rubber boots.",
        ),
        "The letters YKK on many zips are the initials of the Japanese company that makes them.",
    ),
    # Food
    "chocolate": (
        "Chocolate is a food made from the roasted seeds of the cacao tree.",
        (
            "Cacao comes originally from Central and South America.",
            "The Maya and the Aztecs drank it as a bitter drink.",
            "Solid chocolate bars became popular in the nineteenth century.",
        ),
        "Cacao beans were once used as money.",
    ),
    "cheese": (
        "Cheese is a food made by curdling milk and pressing the solid curds.",
        (
            "There are well over a thousand kinds.",
            "Its flavour usually grows stronger as it ages.",
            "The holes in Swiss cheese come from gas made by bacteria.",
        ),
        "Roquefort cheese is ripened in caves in the south of France.",
    ),
    "rice": (
        "Rice is the seed of a grass and the main food of more than half the world's people.",
        (
            "Most of it is grown in Asia.",
            "It is often grown in flooded fields called paddies.",
            "Brown rice keeps its outer layer; white rice has it removed.",
        ),
        "There are tens of thousands of varieties of rice.",
    ),
    "honey": (
        "Honey is a sweet, thick liquid that bees make from the nectar of flowers.",
        (
            "Bees store it in wax cells called honeycomb.",
            "Its taste depends on which flowers the bees visited.",
            "Kept sealed, it hardly ever goes off.",
        ),
        "Pots of honey thousands of years old have been found in Egyptian tombs.",
    ),
    "pasta": (
        "Pasta is a food made from wheat flour and water, sometimes with egg, formed into shapes.",
        (
            "It comes in hundreds of shapes.",
            "Durum wheat gives it a firm bite.",
            "Italians eat more of it per person than anyone else.",
        ),
        "Pasta cooked so that it still has a little bite is called al dente.",
    ),
    "the potato": (
        "The potato is a starchy vegetable, the swollen underground stem of the potato plant.",
        (
            "It was first farmed in the Andes of South America.",
            "It reached Europe in the sixteenth century.",
            "It is one of the world's most important food crops.",
        ),
        "In 1995 the potato became the first vegetable grown in space.",
    ),
    # Sport
    "football": (
        "Football, also called soccer, is a team sport in which two teams of eleven try to "
        "kick a ball into the other team's goal.",
        (
            "Only the goalkeeper may handle the ball, and only inside the penalty area.",
            "The modern rules were written in England in 1863.",
            "The World Cup is held every four years.",
        ),
        "It is the most popular sport in the world by number of fans.",
    ),
    "basketball": (
        "Basketball is a team sport in which players score by throwing a ball through a raised "
        "hoop.",
        (
            "James Naismith invented it in 1891.",
            "The hoop is about three metres above the floor.",
            "Each team has five players on court.",
        ),
        "The first games used peach baskets, so the ball had to be fetched after every score.",
    ),
    "tennis": (
        "Tennis is a racket sport in which two or four players hit a ball over a net.",
        (
            "Wimbledon is the oldest tournament, first held in 1877.",
            "The points in a game go 15, 30, 40, then game.",
            "Courts can be grass, clay or a hard surface.",
        ),
        "A game tied at 40 points each is called deuce.",
    ),
    "cricket": (
        "Cricket is a bat-and-ball game played between two teams of eleven players.",
        (
            "The batter defends a wicket made of three stumps.",
            "A match can last a few hours or up to five days.",
            "It is especially popular in India, England and Australia.",
        ),
        "In the longest form, the Test match, players traditionally wear white.",
    ),
    "the Tour de France": (
        "The Tour de France is a bicycle race held in stages across France every summer.",
        (
            "It was first run in 1903.",
            "It lasts about three weeks.",
            "The overall leader wears a yellow jersey.",
        ),
        "Riders cover roughly 3,500 kilometres in total.",
    ),
    "golf": (
        "Golf is a sport in which players hit a small ball into a series of holes in as few "
        "strokes as possible.",
        (
            "A standard course has eighteen holes.",
            "The modern game grew up in Scotland.",
            "Par is the number of strokes a good player is expected to need for a hole.",
        ),
        "The astronaut Alan Shepard hit two golf balls on the Moon in 1971.",
    ),
    # Arts
    "the Mona Lisa": (
        "The Mona Lisa is a portrait painted by Leonardo da Vinci in the early 1500s.",
        (
            "It hangs in the Louvre in Paris.",
            "It is painted on a wooden panel, not on canvas.",
            "Its soft, smoky shading is called sfumato.",
        ),
        "It is smaller than many visitors expect, about 77 by 53 centimetres.",
    ),
    "origami": (
        "Origami is the art of folding paper into shapes without cutting or gluing it.",
        (
            "It is most closely linked with Japan.",
            "The paper crane is one of the best-known models.",
            "Engineers use its folds to pack solar panels for space.",
        ),
        "An old tradition says that folding a thousand paper cranes earns a wish.",
    ),
    "ballet": (
        "Ballet is a formal style of dance that tells stories through movement and music.",
        (
            "It began in the courts of Italy and France a few hundred years ago.",
            "Dancers train for years to dance on the tips of their toes.",
            "Swan Lake and The Nutcracker are two famous ballets.",
        ),
        "Many ballet words are French, such as plié and pirouette.",
    ),
    "the Globe Theatre": (
        "The Globe Theatre was a London playhouse where many of Shakespeare's plays were first "
        "performed.",
        (
            "It opened in 1599.",
            "It was round and open to the sky.",
            "The cheapest tickets were for standing in the yard in front of the stage.",
        ),
        "A careful copy of it opened near the original site in 1997.",
    ),
    "Impressionism": (
        "Impressionism is a style of painting that began in France in the 1870s and focused on "
        "light and colour.",
        (
            "Claude Monet and Pierre-Auguste Renoir were leading Impressionists.",
            "Painters often worked outdoors.",
            "They used quick, visible brushstrokes.",
        ),
        "The name came from a critic making fun of Monet's painting Impression, Sunrise.",
    ),
    # Music
    "the piano": (
        "The piano is a keyboard instrument in which felt hammers strike strings.",
        (
            "A standard piano has 88 keys.",
            "Bartolomeo Cristofori built the first one in Italy around 1700.",
            "Its full name, pianoforte, means soft-loud.",
        ),
        "A concert grand piano has more than 200 strings.",
    ),
    "the guitar": (
        "The guitar is a string instrument, usually with six strings, that is strummed or plucked.",
        (
            "Frets on the neck mark where to press for each note.",
            "Acoustic guitars have a hollow body that makes the sound louder.",
            "Electric guitars need an amplifier to be heard.",
        ),
        "The shape of the modern classical guitar was set by Antonio de Torres in the 1800s.",
    ),
    "the orchestra": (
        "An orchestra is a large group of musicians playing string, woodwind, brass and "
        "percussion instruments.",
        (
            "A conductor leads it.",
            "The strings are usually the largest section.",
            "Before a concert it tunes to a note played by the oboe.",
        ),
        "A full symphony orchestra can have more than a hundred players.",
    ),
    "opera": (
        "Opera is a kind of theatre in which the story is sung, with an orchestra playing.",
        (
            "It began in Italy around 1600.",
            "Opera singers usually perform without microphones.",
            "Famous opera composers include Mozart, Verdi and Puccini.",
        ),
        "Some operas last more than four hours.",
    ),
    # Technology
    "GPS": (
        "GPS, the Global Positioning System, works out where you are from the signals of "
        "satellites.",
        (
            "A receiver needs signals from at least four satellites.",
            "The satellites carry very accurate atomic clocks.",
            "Its full accuracy was opened to everyone in 2000.",
        ),
        "Its clocks have to be corrected for Einstein's relativity, or positions would drift "
        "by kilometres a day.",
    ),
    "email": (
        "Email is a way of sending messages from one computer to another over a network.",
        (
            "Ray Tomlinson sent the first email between two computers in 1971.",
            "He chose the @ sign to separate the user's name from the computer's.",
            "Hundreds of billions of emails are sent every day.",
        ),
        "A large share of all the email sent is unwanted spam.",
    ),
    "robotics": (
        "Robotics is the design and building of robots, machines that carry out tasks "
        "automatically.",
        (
            "Robots use sensors to measure the world around them.",
            "Factory robots weld and paint cars.",
            "Robot rovers explore places people cannot reach, such as Mars.",
        ),
        "The word robot comes from a Czech play of 1920 and meant forced work.",
    ),
    "3D printing": (
        "3D printing builds solid objects layer by layer from a digital design.",
        (
            "Many home printers melt a thin thread of plastic.",
            "It is used for prototypes, spare parts and models.",
            "Some machines can print with metal, concrete or even chocolate.",
        ),
        "Whole small houses have been printed from concrete.",
    ),
    "solar power": (
        "Solar power is electricity or heat made from sunlight.",
        (
            "Most solar panels are made from silicon cells.",
            "Panels still work on cloudy days, but produce less.",
            "Its cost has fallen sharply since 2010.",
        ),
        "The first practical silicon solar cell was made at Bell Labs in 1954.",
    ),
    "the barcode": (
        "A barcode is a pattern of lines or squares that a scanner reads to identify an item.",
        (
            "The first item scanned in a shop was a pack of chewing gum in 1974.",
            "The last digit of a shop barcode is a check digit that catches misreads.",
            "QR codes are square barcodes that hold much more data.",
        ),
        "Its inventor got the idea while drawing lines in beach sand.",
    ),
    "the transistor": (
        "A transistor is a tiny electronic switch that controls the flow of electric current.",
        (
            "It was invented at Bell Labs in 1947.",
            "It replaced bulky vacuum tubes.",
            "A modern computer chip holds billions of them.",
        ),
        "Its three inventors shared the Nobel Prize in Physics in 1956.",
    ),
    # Space
    "the Sun": (
        "The Sun is the star at the centre of our solar system.",
        (
            "It is a huge ball of hot hydrogen and helium.",
            "Nuclear fusion in its core makes its energy.",
            "About 1.3 million Earths could fit inside it.",
        ),
        "It holds about 99.8 percent of all the mass in the solar system.",
    ),
    "Mars": (
        "Mars is the fourth planet from the Sun, often called the Red Planet.",
        (
            "A day there is about 40 minutes longer than a day on Earth.",
            "It has two small moons, Phobos and Deimos.",
            "Several robot rovers have explored its surface.",
        ),
        "Its dust storms can cover the whole planet for weeks.",
    ),
    "Jupiter": (
        "Jupiter is the largest planet in the solar system, a giant made mostly of gas.",
        (
            "It is the fifth planet from the Sun.",
            "Its Great Red Spot is a storm bigger than the Earth.",
            "It has dozens of moons.",
        ),
        "Its moon Ganymede is wider than the planet Mercury.",
    ),
    "Saturn": (
        "Saturn is the sixth planet from the Sun, famous for its bright rings.",
        (
            "Its rings are made of pieces of ice and rock.",
            "It is so light for its size that it would float in a big enough bath of water.",
            "Titan, its largest moon, has a thick atmosphere.",
        ),
        "Its rings are very wide but in most places only tens of metres thick.",
    ),
    "a comet": (
        "A comet is a ball of ice and dust that travels around the Sun.",
        (
            "Near the Sun it grows a glowing head and long tails.",
            "Its tails always point away from the Sun.",
            "Halley's Comet comes back about every 76 years.",
        ),
        "In 2014 the Rosetta mission landed a small probe on a comet.",
    ),
    "the International Space Station": (
        "The International Space Station is a large spacecraft in orbit where astronauts live "
        "and work.",
        (
            "It circles the Earth about every 90 minutes.",
            "People have lived on it without a break since 2000.",
            "It was built by several space agencies working together.",
        ),
        "It can often be seen from the ground as a bright, fast-moving dot.",
    ),
    "a solar eclipse": (
        "A solar eclipse happens when the Moon passes between the Sun and the Earth and blocks "
        "the Sun's light.",
        (
            "A total eclipse can be seen only along a narrow path.",
            "Totality lasts at most about seven and a half minutes.",
            "The Sun's faint outer layer, the corona, appears during totality.",
        ),
        "The Sun is about 400 times wider than the Moon but also about 400 times farther away, "
        "so they look the same size.",
    ),
    "Apollo 11": (
        "Apollo 11 was the first mission to land people on the Moon, in July 1969.",
        (
            "Neil Armstrong and Buzz Aldrin walked on the surface.",
            "Michael Collins stayed in orbit in the command module.",
            "The crew brought back about 22 kilograms of Moon rock.",
        ),
        "Their footprints are probably still there, because the Moon has no wind.",
    ),
    "the Hubble Space Telescope": (
        "The Hubble Space Telescope is a large telescope that has orbited the Earth since 1990.",
        (
            "Above the air, it sees more sharply than telescopes on the ground.",
            "Astronauts repaired and upgraded it five times.",
            "Its images helped measure how fast the universe is expanding.",
        ),
        "Its main mirror was ground slightly wrong and had to be corrected by a repair mission "
        "in 1993.",
    ),
    # The human body
    "the human brain": (
        "The human brain is the organ in the head that controls thought, memory, movement and "
        "the senses.",
        (
            "It has about 86 billion nerve cells.",
            "It uses about a fifth of the body's energy.",
            "Its left half mostly controls the right side of the body.",
        ),
        "A baby's brain roughly doubles in size in the first year.",
    ),
    "breathing": (
        "Breathing is how the body takes in oxygen and gets rid of carbon dioxide.",
        (
            "Air travels down the windpipe into the lungs.",
            "The lungs contain hundreds of millions of tiny air sacs.",
            "A dome-shaped muscle called the diaphragm does most of the work.",
        ),
        "An adult breathes roughly 20,000 times a day.",
    ),
    "the skeleton": (
        "The skeleton is the framework of bones that supports the body and protects the organs.",
        (
            "An adult has 206 bones.",
            "Babies are born with more bones, some of which later join together.",
            "The smallest bone is deep inside the ear.",
        ),
        "The thigh bone is the longest and strongest bone in the body.",
    ),
    "the skin": (
        "The skin is the body's largest organ, covering and protecting everything inside.",
        (
            "It has an outer layer, the epidermis, and an inner one, the dermis.",
            "It helps control body temperature by sweating.",
            "It keeps shedding old cells and growing new ones.",
        ),
        "An adult's skin weighs several kilograms.",
    ),
    "the human eye": (
        "The human eye is the organ of sight, which turns light into signals for the brain.",
        (
            "The lens focuses light onto the retina at the back of the eye.",
            "The pupil widens in the dark to let in more light.",
            "Cone cells see colour, and rod cells work in dim light.",
        ),
        "The image on the retina is upside down, and the brain turns it the right way up.",
    ),
    "blood": (
        "Blood is the red fluid that carries oxygen, food and waste around the body.",
        (
            "Red blood cells carry oxygen.",
            "White blood cells help fight germs.",
            "An adult has about five litres of it.",
        ),
        "It gets its red colour from the iron in haemoglobin.",
    ),
    # Inventions
    "the wheel": (
        "The wheel is a round disc that turns on an axle, making heavy loads easier to move.",
        (
            "The oldest known wheels are about 5,500 years old.",
            "Early wheels were solid wood.",
            "Wheels with spokes were lighter and faster.",
        ),
        "The potter's wheel may have come before wheels on carts.",
    ),
    "the telephone": (
        "The telephone is a device that carries the sound of a voice over long distances.",
        (
            "Alexander Graham Bell patented one in 1876.",
            "Early calls were connected by hand by operators.",
            "Mobile phones use radio waves instead of wires.",
        ),
        "Bell's first words on it asked his assistant, Mr Watson, to come to him.",
    ),
    "the light bulb": (
        "The light bulb is a device that turns electricity into light.",
        (
            "Thomas Edison made a long-lasting bulb with a carbon filament in 1879.",
            "Joseph Swan made one in England at about the same time.",
            "LED bulbs use far less energy than old filament bulbs.",
        ),
        "A bulb in a California fire station has been glowing almost without a break since 1901.",
    ),
    "the steam engine": (
        "The steam engine is a machine that uses the pressure of steam to do work.",
        (
            "Thomas Newcomen built an early one in 1712 to pump water out of mines.",
            "James Watt made it far more efficient.",
            "It powered trains, ships and factories.",
        ),
        "Hero of Alexandria described a spinning steam toy nearly two thousand years ago.",
    ),
    "paper": (
        "Paper is a thin sheet made from pressed plant fibres.",
        (
            "Cai Lun in China is credited with improving paper making around 105 AD.",
            "Most paper today is made from wood pulp.",
            "It can be recycled several times.",
        ),
        "Before paper, people wrote on clay, papyrus, parchment and strips of bamboo.",
    ),
    "the compass": (
        "A compass is an instrument with a magnetic needle that points north.",
        (
            "It was first used in China.",
            "Sailors used it to find their way out of sight of land.",
            "Magnetic north is not exactly the same place as the North Pole.",
        ),
        "The north magnetic pole wanders by tens of kilometres a year.",
    ),
    "the aeroplane": (
        "An aeroplane is a powered flying machine with fixed wings.",
        (
            "Orville and Wilbur Wright made the first powered flight in 1903.",
            "Wings create lift as air flows over them.",
            "Jet engines came into use in the 1940s.",
        ),
        "The first powered flight lasted about twelve seconds.",
    ),
    "radio": (
        "Radio is a way of sending sound through the air with electromagnetic waves.",
        (
            "Guglielmo Marconi sent radio signals across the Atlantic in 1901.",
            "Broadcasting to the public began in the 1920s.",
            "Radio waves also carry television, Wi-Fi and phone signals.",
        ),
        "Radio waves from Earth have been travelling out into space for over a century.",
    ),
    "the microscope": (
        "A microscope is an instrument that makes tiny objects look much larger.",
        (
            "Early microscopes used glass lenses and light.",
            "Antonie van Leeuwenhoek saw bacteria through his own lenses in the 1670s.",
            "Electron microscopes can show things far smaller than light allows.",
        ),
        "Leeuwenhoek was a cloth merchant, not a trained scientist.",
    ),
}
