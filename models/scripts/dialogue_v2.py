# The second corpus of doppel-mini-chat (doppel-mini-chat-2 is fine-tuned on it from doppel-mini-chat's weights).
# Same personas, prompt layout and exchange kinds as dialogue_corpus.py, with what the first model got wrong taken out
# or taught more often:
# - Replies use only words the tokenizer holds as one or two pieces, plus the names the prompt gives: WordNet
#   definitions (rare words the model rebuilt from pieces into non-words such as "providincturd") are gone; a topic is
#   answered by naming it back, and for the everyday things below with a short plain description written for this
#   project. The benchmark's topics (sea, moon, rain, clock, music, books, wind) are deliberately not among them.
# - Users state facts in every form libs/memory's extractor reads ("I work as a nurse.", "I have a dog called Rex.",
#   "I'm a teacher."), the memory section holds what the extractor would store for them, and "- You said:" lines hold
#   earlier replies, as the runtime writes them.
# - More exchanges ask for a remembered fact or about the persona, so that copying from the prompt is learned.
import random
import re

import dialogue_corpus as v1
from dialogue_corpus import FACT_KINDS, MEMORY_HEADER, Dialogue, fact_lines

# Everyday things with a plain description (written for this project). Not the benchmark's topics.
EVERYDAY = {
    'tea': 'a hot drink made from dry leaves', 'bread': 'a food made from flour and water and baked',
    'garden': 'a piece of land where people grow flowers and food', 'river': 'a long stream of water that runs to the sea',
    'tree': 'a tall plant with a hard trunk and leaves', 'boat': 'a small ship for going on water',
    'fire': 'the heat and light that comes from burning wood', 'snow': 'soft white ice that falls from the sky in winter',
    'sun': 'the star that gives us light and heat by day', 'bird': 'an animal with wings and feathers that can fly',
    'dog': 'an animal that lives with people and guards the house', 'cat': 'a small animal that likes to sleep by the fire',
    'horse': 'a large animal that people ride', 'bee': 'a small insect that makes honey',
    'apple': 'a round fruit that grows on a tree', 'coffee': 'a hot dark drink that wakes you up',
    'bicycle': 'a machine with two wheels that you ride', 'train': 'a long line of cars that runs on rails',
    'island': 'a piece of land with water all around it', 'mountain': 'a very high hill',
    'forest': 'a large area covered with trees', 'lake': 'a large body of still water with land all around it',
    'beach': 'the land of sand or stones along the edge of the sea', 'storm': 'a time of strong wind and heavy rain',
    'winter': 'the cold season of the year', 'summer': 'the warm season of the year',
    'night': 'the time of dark between evening and morning', 'morning': 'the first part of the day',
    'letter': 'a message written on paper and sent to someone', 'map': 'a drawing of a place that shows where things are',
    'candle': 'a stick of wax that gives light when it burns', 'kettle': 'a pot with a spout for boiling water',
    'piano': 'a large instrument that you play by pressing keys', 'chair': 'a seat for one person',
    'window': 'an opening in a wall that lets in light', 'door': 'the way in and out of a room or a house',
    'bridge': 'a way built over a river or a road', 'market': 'a place where people buy and sell things',
    'school': 'a place where children learn', 'library': 'a place where people read and borrow books',
    'friend': 'a person you know well and like', 'family': 'the people you live with and love',
    'ship': 'a large boat that carries people or goods over the sea', 'fish': 'an animal that lives in water',
    'flower': 'the bright part of a plant', 'cloud': 'a white or grey shape in the sky made of water',
    'hill': 'a piece of high land, lower than a mountain', 'harbour': 'a place where boats are safe from the sea',
    'road': 'a way for people and cars to travel', 'house': 'a building where people live',
    'cake': 'a sweet food baked for a treat', 'soup': 'a warm food made by boiling things in water',
    'honey': 'a sweet food that bees make', 'cheese': 'a food made from milk',
    'farm': 'land where people grow food and keep animals', 'village': 'a small group of houses in the country',
    'city': 'a large and busy town', 'song': 'a short piece of music with words',
    'game': 'something you play for fun', 'walk': 'a trip you make on foot',
    'hat': 'something you wear on your head', 'coat': 'something warm you wear over your clothes',
    'ball': 'a round object that you throw or kick', 'lamp': 'a thing that gives light',
    'photograph': 'a picture made with a camera', 'radio': 'a box that plays voices and music',
    'fox': 'a wild animal with red fur and a long tail', 'owl': 'a bird that hunts at night',
    'spring': 'the season when the flowers come back', 'autumn': 'the season when the leaves fall',
    'holiday': 'a time off work to rest or travel', 'birthday': 'the day of the year on which you were born',
}
ODD_NOUNS = {'ass', 'scar', 'user', 'favor', 'state', 'process', 'program', 'period', 'amount', 'account', 'will', 'well', 'one', 'use', 'want', 'need', 'best', 'back', 'being'}
BENCHMARK_TOPICS = {'sea', 'moon', 'rain', 'clock', 'music', 'book', 'books', 'wind'}
assert not BENCHMARK_TOPICS & set(EVERYDAY), 'keep the benchmark topics out of the training descriptions'

TOPIC_QUESTIONS_NO_THE = ['Do you like {t}?', 'What do you think about {t}?', 'Tell me something about {t}.']
TOPIC_NAMING = ['The {t}? {o}', 'Ah, the {t}. {o}', 'The {t}. {o}', 'I like the {t}. {o}', 'The {t}? I could talk about it all day.']
MORE_WHAT_DO = ['What do you do now?', 'Do you have any hobbies?', 'What did you do today?', 'What did you do this morning?',
                'How do you keep busy?']
MORE_PERSONA = ['Do you miss being a {job}?', 'Were you ever lonely?', 'What was your old job like?', 'Do you like where you live?']


def statement_forms(user: v1.User, kind: str) -> list[tuple[str, str]]:
    """(what the user says, what the fact extractor stores for it) for one fact, in the forms the extractor reads."""
    if kind == 'name':
        return [(f'My name is {user.name}.', f'Their name is {user.name}.')]
    if kind == 'city':
        return [(f'I live in {user.city}.', f'They live in {user.city}.')]
    if kind == 'job':
        return [(f'I am {user.job}.', f'They are {user.job}.'), (f"I'm {user.job}.", f'They are {user.job}.'),
                (f'I work as {user.job}.', f'They work as {user.job}.')]
    if kind == 'likes':
        return [(f'I love {user.likes}.', f'They love {user.likes}.'), (f'I like {user.likes}.', f'They like {user.likes}.'),
                (f'I really like {user.likes}.', f'They like {user.likes}.')]
    if kind == 'pet':
        pet, name = user.pet
        return [(f'My {pet} is {name}.', f'Their {pet} is {name}.'), (f'I have a {pet} called {name}.', f'They have a {pet} called {name}.'),
                (f'I have a {pet} named {name}.', f'They have a {pet} named {name}.'), (f"My {pet}'s name is {name}.", f'Their {pet} is {name}.')]
    if kind == 'age':
        return [(f'I am {user.age} years old.', f'They are {user.age} years old.'), (f"I'm {user.age} years old.", f'They are {user.age} years old.')]
    fav_kind, value = user.favourite
    return [(f'My favorite {fav_kind} is {value}.', f'Their favorite {fav_kind} is {value}.')]


RECALL_MORE = {
    'name': ['And now, what is my name?', 'Can you tell me my name?'],
    'city': ['Which city do I live in?', 'Where is my home?'],
    'job': ['What work do I do?', 'Do you know my job?'],
    'pet': ["What is my {pet}'s name?", 'What is my {pet} called?', 'Do you remember my {pet}?'],
    'likes': ['What do I enjoy?'],
    'age': ['Do you know how old I am?'],
    'favourite': ['Which {fav} do I like best?'],
}


class DialogueV2(Dialogue):
    def __init__(self, rng: random.Random, nouns: list[str], sayings: list[str]):
        super().__init__(rng, sorted(EVERYDAY.items()), sayings)  # the base class's topic replies use the descriptions
        self.nouns = nouns

    def system_message(self) -> str:
        core = self.persona.core(self.rng)
        lines: list[str] = []
        if self.rng.random() < 0.55:  # an earlier conversation left memories, as the runtime stores them
            for kind in self.rng.sample(FACT_KINDS, self.rng.randint(1, 4)):
                statement, memory = self.rng.choice(statement_forms(self.user, kind))
                self.user.known[kind] = fact_lines(self.user, kind)[2]
                lines.append(f'- About them: {memory}')
                if self.rng.random() < 0.5:
                    lines.append(f'- They said: {statement}')
            if self.rng.random() < 0.4:
                lines.append(f'- You said: {self.rng.choice(v1.HOW_REPLIES)}')
            if 'name' in self.user.known and self.rng.random() < 0.4:
                lines.append(f'- You said: {self.rng.choice(v1.FACT_REACTIONS["name"]).format(user=self.user.name, persona=self.persona.name)}')
            self.rng.shuffle(lines)
        return core + (f'\n\n{MEMORY_HEADER}\n' + '\n'.join(lines) if lines else '')

    def exchange(self) -> tuple[str, str]:
        rng, p, user = self.rng, self.persona, self.user
        kind = rng.choices(['v1', 'topic', 'recall', 'tell_facts', 'what_do', 'persona'], weights=[50, 10, 14, 10, 5, 4])[0]
        if kind == 'v1':
            return super().exchange()
        if kind == 'topic':
            topic = rng.choice(list(EVERYDAY) if rng.random() < 0.5 else self.nouns)
            opinion = rng.choice(v1.TOPIC_OPINIONS)
            if topic in EVERYDAY and rng.random() < 0.7:
                body = rng.choice([f'The {topic}? It is {EVERYDAY[topic]}. {opinion}', f'Ah, the {topic}. It is {EVERYDAY[topic]}.',
                                   f'A {topic} is {EVERYDAY[topic]}. {opinion}' if EVERYDAY[topic].startswith(('a ', 'an ')) else
                                   f'The {topic} is {EVERYDAY[topic]}. {opinion}'])
            else:
                body = rng.choice(TOPIC_NAMING).format(t=topic, o=opinion)
            if rng.random() < 0.4:
                body += ' ' + self.question_back()
            question = rng.choice(v1.TOPIC_QUESTIONS + TOPIC_QUESTIONS_NO_THE).format(t=topic)
            return question, body
        if kind == 'recall':
            known = list(user.known)
            fact_kind = rng.choice(known) if known and rng.random() < 0.85 else rng.choice(FACT_KINDS)
            asks = v1.RECALL_QUESTIONS[fact_kind] + RECALL_MORE[fact_kind]
            question = rng.choice(asks).format(pet=user.pet[0], fav=user.favourite[0])
            if fact_kind in user.known:
                return question, rng.choice(v1.RECALL_OPENERS) + user.known[fact_kind] + rng.choice(v1.RECALL_CLOSERS)
            return question, rng.choice(v1.UNKNOWN_RECALL[fact_kind])
        if kind == 'tell_facts':
            kinds = rng.sample(FACT_KINDS, rng.choice([1, 1, 2]))
            statements, reactions = [], []
            for fact_kind in kinds:
                statement, _ = rng.choice(statement_forms(user, fact_kind))
                statements.append(statement)
                user.known[fact_kind] = fact_lines(user, fact_kind)[2]
                reactions.append(rng.choice(v1.FACT_REACTIONS[fact_kind]).format(
                    user=user.name, persona=p.name, city=user.city, job=user.job, job_cap=user.job[0].upper() + user.job[1:],
                    likes=user.likes, likes_cap=user.likes[0].upper() + user.likes[1:], pet_kind=user.pet[0], pet_name=user.pet[1],
                    age=user.age, fav_value=user.favourite[1], fav_cap=user.favourite[1][0].upper() + user.favourite[1][1:]))
            if len(statements) == 2 and rng.random() < 0.6:
                user_text = statements[0][:-1] + ' and ' + (statements[1] if statements[1].startswith('I') else statements[1][0].lower() + statements[1][1:])
            else:
                user_text = ' '.join(statements)
            if rng.random() < 0.3:
                user_text += ' ' + rng.choice(v1.WHAT_DO_QUESTIONS[:3] + v1.WHO_QUESTIONS[:2])
                reactions.append(f'As for me, I {p.act[1]}.')
            return user_text, ' '.join(reactions)
        if kind == 'what_do':
            return rng.choice(MORE_WHAT_DO), rng.choice([
                f'I {p.act[1]}, mostly. {self.question_back()}', f'These days I {p.act[1]} and {p.act2[1]}.',
                f'This morning I {p.act[1]}. It keeps my hands busy.'])
        return rng.choice(MORE_PERSONA).format(job=p.job), rng.choice([
            f'Some days. I was a {p.job} for a long time. Now I {p.act[1]}.', f'Not often. I {p.act[1]}, and that keeps me going.',
            f'It had its good days. Now I live in {p.place} and {p.act[1]}.'])


def safe_nouns(topics: list[tuple[str, str]], pieces) -> list[str]:
    """WordNet's everyday nouns that the tokenizer holds as one piece: named back, never defined."""
    return sorted(t for t, _ in topics if t not in BENCHMARK_TOPICS | ODD_NOUNS and re.fullmatch(r'[a-z]+', t) and pieces(t) == 1)


def plain_sayings(sayings: list[str], pieces) -> list[str]:
    """The sayings whose every word the tokenizer holds as one or two pieces."""
    return [s for s in sayings if all(pieces(w) <= 2 for w in re.findall(r"[A-Za-z']+", s))]


def build_conversations(count: int, seed: int, nouns: list[str], sayings: list[str]) -> list[list[dict]]:
    rng = random.Random(seed)
    return [DialogueV2(rng, nouns, sayings).messages(rng.randint(4, 9)) for _ in range(count)]
