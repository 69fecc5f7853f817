# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter04_classification-and-regression.ipynb
# "Deep Learning with Python", 3rd edition, chapter 4: "Classifying newswires: a
# multiclass classification example". Author: François Chollet. Licence: MIT.
# Cells 35, 42-44, 46, 47, 49, 50, 54, 56, 58, 61. Changed for the tests: the imports
# (below; multi_hot_encode is the one defined in the IMDB part of the chapter), the data
# (standin.py's Reuters stand-in: 1,796 + 449 newswires, 46 topics), epochs 20 -> 5 in the
# validation run, and the last line, which reports the key figures. Word-index decoding,
# plots and bare expressions are left out.
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
    from keras.utils import to_categorical
else:
    import fastnn as keras
    from fastnn import layers
    from fastnn.utils import to_categorical
from standin import reuters, report
import numpy as np

def multi_hot_encode(sequences, num_classes):
    results = np.zeros((len(sequences), num_classes))
    for i, sequence in enumerate(sequences):
        results[i][sequence] = 1.0
    return results

(train_data, train_labels), (test_data, test_labels) = reuters.load_data(
    num_words=10000
)

x_train = multi_hot_encode(train_data, num_classes=10000)
x_test = multi_hot_encode(test_data, num_classes=10000)

def one_hot_encode(labels, num_classes=46):
    results = np.zeros((len(labels), num_classes))
    for i, label in enumerate(labels):
        results[i, label] = 1.0
    return results

y_train = one_hot_encode(train_labels)
y_test = one_hot_encode(test_labels)

y_train = to_categorical(train_labels)
y_test = to_categorical(test_labels)

model = keras.Sequential(
    [
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(46, activation="softmax"),
    ]
)

top_3_accuracy = keras.metrics.TopKCategoricalAccuracy(
    k=3, name="top_3_accuracy"
)
model.compile(
    optimizer="adam",
    loss="categorical_crossentropy",
    metrics=["accuracy", top_3_accuracy],
)

x_val = x_train[:1000]
partial_x_train = x_train[1000:]
y_val = y_train[:1000]
partial_y_train = y_train[1000:]

history = model.fit(
    partial_x_train,
    partial_y_train,
    epochs=5,
    batch_size=512,
    validation_data=(x_val, y_val),
)
val_top3 = history.history["val_top_3_accuracy"][-1]

model = keras.Sequential(
    [
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(46, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam",
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    epochs=9,
    batch_size=512,
)
results = model.evaluate(x_test, y_test)

import copy
test_labels_copy = copy.copy(test_labels)
np.random.shuffle(test_labels_copy)
hits_array = np.array(test_labels == test_labels_copy)
hits_array.mean()

predictions = model.predict(x_test)
np.argmax(predictions[0])

report(val_top_3_accuracy=val_top3, loss=history.history["loss"][-1],
       test_loss=results[0], test_acc=results[1])
